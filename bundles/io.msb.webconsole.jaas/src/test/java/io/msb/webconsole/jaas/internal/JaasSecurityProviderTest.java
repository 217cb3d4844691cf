package io.msb.webconsole.jaas.internal;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.annotation.Annotation;
import org.junit.jupiter.api.Test;

/** The configuration's checks: a bad value fails activation with the field and the rule. */
class JaasSecurityProviderTest {
    private record ConfigForTests(String realm, String role, String[] rolePrincipalClasses, String challengeRealm)
            implements JaasSecurityProvider.Config {
        @Override
        public Class<? extends Annotation> annotationType() {
            return JaasSecurityProvider.Config.class;
        }
    }

    private static void refused(String field, ConfigForTests config) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new JaasSecurityProvider(config));
        assertTrue(e.getMessage().startsWith(field + ": "), e.getMessage());
    }

    @Test
    void activatesWithTheDefaults() {
        new JaasSecurityProvider(new ConfigForTests("karaf", "admin",
                new String[] {"org.apache.karaf.jaas.boot.principal.RolePrincipal"}, "msb Web Console"));
    }

    @Test
    void refusesBlankOversizedOrControlCharacterValues() {
        String[] classes = {"org.apache.karaf.jaas.boot.principal.RolePrincipal"};
        refused("realm", new ConfigForTests(" ", "admin", classes, "msb"));
        refused("realm", new ConfigForTests("r".repeat(257), "admin", classes, "msb"));
        refused("role", new ConfigForTests("karaf", "", classes, "msb"));
        refused("role", new ConfigForTests("karaf", null, classes, "msb"));
        refused("rolePrincipalClasses", new ConfigForTests("karaf", "admin", new String[0], "msb"));
        refused("rolePrincipalClasses", new ConfigForTests("karaf", "admin", new String[] {" "}, "msb"));
        refused("challengeRealm", new ConfigForTests("karaf", "admin", classes, "line\r\nSet-Cookie: x"));
    }
}
