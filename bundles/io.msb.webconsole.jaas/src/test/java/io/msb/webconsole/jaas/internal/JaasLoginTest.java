package io.msb.webconsole.jaas.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Set;
import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.AppConfigurationEntry.LoginModuleControlFlag;
import javax.security.auth.login.Configuration;
import org.junit.jupiter.api.Test;

/** Real JAAS (LoginContext) against a realm of {@link LoginModuleForTests}. */
class JaasLoginTest {
    private static final Configuration REALMS = new Configuration() {
        @Override
        public AppConfigurationEntry[] getAppConfigurationEntry(String name) {
            return !name.equals("test-realm") ? null : new AppConfigurationEntry[] {
                new AppConfigurationEntry(LoginModuleForTests.class.getName(), LoginModuleControlFlag.REQUIRED,
                        Map.of("users", "karaf=k-secret:admin,viewer;viewer=v-secret:viewer;"
                                + "carol=c-secret:"))};
        }
    };
    private static final Set<String> ROLE_CLASSES = Set.of(LoginModuleForTests.RoleForTests.class.getName());

    private static JaasLogin login(String realm, String role) {
        return new JaasLogin(realm, role, ROLE_CLASSES, REALMS, JaasLoginTest.class.getClassLoader());
    }

    @Test
    void acceptsAUserOfTheRealmWithTheRole() {
        assertTrue(login("test-realm", "admin").accepts(new BasicCredentials("karaf", "k-secret")));
        assertTrue(login("test-realm", "viewer").accepts(new BasicCredentials("viewer", "v-secret")));
    }

    @Test
    void refusesWrongPasswordsUnknownUsersAndUsersWithoutTheRole() {
        JaasLogin admin = login("test-realm", "admin");
        assertFalse(admin.accepts(new BasicCredentials("karaf", "k-secretx")));
        assertFalse(admin.accepts(new BasicCredentials("karaf", "")));
        assertFalse(admin.accepts(new BasicCredentials("mallory", "k-secret")));
        assertFalse(admin.accepts(new BasicCredentials("viewer", "v-secret")), "viewer has no role admin");
        assertFalse(admin.accepts(new BasicCredentials("carol", "c-secret")), "carol has no role at all");
    }

    @Test
    void aRoleCountsOnlyFromTheRolePrincipalClasses() {
        // the user principal of "admin" is named like the role, but is not a role principal
        JaasLogin byUserName = login("test-realm", "karaf");
        assertFalse(byUserName.accepts(new BasicCredentials("karaf", "k-secret")));
        JaasLogin otherClasses = new JaasLogin("test-realm", "admin", Set.of("org.apache.karaf.jaas.boot.principal.RolePrincipal"),
                REALMS, JaasLoginTest.class.getClassLoader());
        assertFalse(otherClasses.accepts(new BasicCredentials("karaf", "k-secret")));
    }

    @Test
    void anUnknownRealmRefusesEveryone() {
        assertFalse(login("no-such-realm", "admin").accepts(new BasicCredentials("karaf", "k-secret")));
    }

    @Test
    void restoresTheContextClassLoader() {
        ClassLoader before = Thread.currentThread().getContextClassLoader();
        ClassLoader modules = new ClassLoader(JaasLoginTest.class.getClassLoader()) {
        };
        new JaasLogin("test-realm", "admin", ROLE_CLASSES, REALMS, modules)
                .accepts(new BasicCredentials("karaf", "k-secret"));
        assertEquals(before, Thread.currentThread().getContextClassLoader());
    }

    @Test
    void loadsTheModulesThroughTheGivenClassLoader() {
        // a loader that cannot see the module class: the login fails, so the loader given is the one used
        ClassLoader blind = new ClassLoader(null) {
        };
        assertFalse(new JaasLogin("test-realm", "admin", ROLE_CLASSES, REALMS, blind)
                .accepts(new BasicCredentials("karaf", "k-secret")));
    }
}
