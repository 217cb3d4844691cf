package io.msb.webconsole.jaas.internal;

import java.security.Principal;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import javax.security.auth.Subject;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.login.FailedLoginException;
import javax.security.auth.login.LoginException;
import javax.security.auth.spi.LoginModule;

/**
 * A JAAS login module (JAAS's own extension point) standing in for Karaf's PropertiesLoginModule: its option
 * {@code users} is {@code name=password:role,role;name=...}; a login adds a {@link UserForTests} and one
 * {@link RoleForTests} per role.
 */
public final class LoginModuleForTests implements LoginModule {
    record UserForTests(String getName) implements Principal {
    }

    record RoleForTests(String getName) implements Principal {
    }

    private Subject subject;
    private CallbackHandler handler;
    private String users;
    private final Set<Principal> principals = new HashSet<>();

    @Override
    public void initialize(Subject subject, CallbackHandler handler, Map<String, ?> sharedState, Map<String, ?> options) {
        this.subject = subject;
        this.handler = handler;
        this.users = (String) options.get("users");
    }

    @Override
    public boolean login() throws LoginException {
        NameCallback name = new NameCallback("user");
        PasswordCallback password = new PasswordCallback("password", false);
        try {
            handler.handle(new Callback[] {name, password});
        } catch (Exception e) {
            throw new LoginException(e.toString());
        }
        for (String entry : users.split(";")) {
            String[] userRest = entry.split("=", 2);
            String[] passwordRoles = userRest[1].split(":", 2);
            if (userRest[0].equals(name.getName()) && passwordRoles[0].equals(new String(password.getPassword()))) {
                principals.add(new UserForTests(name.getName()));
                for (String role : passwordRoles[1].split(",")) {
                    if (!role.isEmpty()) {
                        principals.add(new RoleForTests(role));
                    }
                }
                return true;
            }
        }
        throw new FailedLoginException("wrong user or password");
    }

    @Override
    public boolean commit() {
        subject.getPrincipals().addAll(principals);
        return true;
    }

    @Override
    public boolean abort() {
        principals.clear();
        return true;
    }

    @Override
    public boolean logout() {
        subject.getPrincipals().removeAll(principals);
        principals.clear();
        return true;
    }
}
