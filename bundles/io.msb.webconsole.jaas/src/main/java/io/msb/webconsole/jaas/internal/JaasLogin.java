package io.msb.webconsole.jaas.internal;

import java.security.Principal;
import java.util.Arrays;
import java.util.Set;
import javax.security.auth.Subject;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.Configuration;
import javax.security.auth.login.LoginContext;
import javax.security.auth.login.LoginException;

/**
 * A login against one JAAS realm that also requires one role: the realm's login modules check the password, and the
 * subject must then hold a principal of one of the role principal classes (compared by class name, so that Karaf's
 * {@code RolePrincipal} need not be imported) whose name is the role.
 */
final class JaasLogin {
    private final String realm;
    private final String role;
    private final Set<String> rolePrincipalClasses;
    private final Configuration configuration;
    private final ClassLoader moduleLoader;

    /**
     * @param configuration the JAAS configuration holding the realm; null: the JVM's (in Karaf, the one its jaas
     *                      bundles installed, with a realm per JaasRealm service)
     * @param moduleLoader  the class loader JAAS loads the realm's login modules through
     */
    JaasLogin(String realm, String role, Set<String> rolePrincipalClasses, Configuration configuration,
            ClassLoader moduleLoader) {
        this.realm = realm;
        this.role = role;
        this.rolePrincipalClasses = Set.copyOf(rolePrincipalClasses);
        this.configuration = configuration;
        this.moduleLoader = moduleLoader;
    }

    /** Whether the realm accepts these credentials and the user holds the role; failures are not told apart. */
    boolean accepts(BasicCredentials credentials) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        // LoginContext loads the module classes through the context class loader, which is the HTTP thread's
        thread.setContextClassLoader(moduleLoader);
        char[] password = credentials.password().toCharArray();
        try {
            Subject subject = new Subject();
            LoginContext context = new LoginContext(realm, subject, callbacks -> {
                for (Callback callback : callbacks) {
                    if (callback instanceof NameCallback name) {
                        name.setName(credentials.user());
                    } else if (callback instanceof PasswordCallback pass) {
                        pass.setPassword(password);
                    } else {
                        throw new UnsupportedCallbackException(callback);
                    }
                }
            }, configuration);
            context.login();
            try {
                return hasRole(subject);
            } finally {
                context.logout(); // the subject is not kept: each request logs in again
            }
        } catch (LoginException | SecurityException e) {
            // wrong password, unknown user, or no such realm: all the same to the client
            return false;
        } finally {
            Arrays.fill(password, '\0');
            thread.setContextClassLoader(previous);
        }
    }

    private boolean hasRole(Subject subject) {
        for (Principal p : subject.getPrincipals()) {
            if (role.equals(p.getName()) && rolePrincipalClasses.contains(p.getClass().getName())) {
                return true;
            }
        }
        return false;
    }

    String realm() {
        return realm;
    }
}
