package io.msb.webconsole.jaas.internal;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Arrays;
import java.util.Set;
import org.apache.felix.webconsole.spi.SecurityProvider;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The Felix Web Console's login through a JAAS realm. The console uses the highest-ranked {@link SecurityProvider}
 * service and registers its own user/password one at the lowest ranking, so while this one is active it alone
 * decides; the msb-webconsole feature installs it only where Karaf's jaas feature is (decision 1890).
 */
@Component(service = SecurityProvider.class, configurationPid = JaasSecurityProvider.PID,
        property = SecurityProvider.PROPERTY_ID + "=" + JaasSecurityProvider.ID)
@Designate(ocd = JaasSecurityProvider.Config.class)
public final class JaasSecurityProvider implements SecurityProvider {
    static final String PID = "io.msb.webconsole.jaas";
    /** For the console's {@code felix.webconsole.security.providers} framework property, which waits for it. */
    static final String ID = "msb-jaas";
    /** What the OSGi servlet whiteboard reads for getAuthType() and getRemoteUser(). */
    private static final String AUTHENTICATION_TYPE = "org.osgi.service.http.authentication.type";
    private static final String REMOTE_USER = "org.osgi.service.http.authentication.remote.user";

    @ObjectClassDefinition(name = "msb Web Console login (JAAS)",
            description = "Who may log in to the Felix Web Console: users of a JAAS realm who hold a role.")
    public @interface Config {
        @AttributeDefinition(name = "JAAS realm", description = "The realm that checks user and password; Karaf's "
                + "users (etc/users.properties) are in realm karaf.")
        String realm() default "karaf";

        @AttributeDefinition(name = "Required role", description = "The role a user needs; in Karaf, users of "
                + "admingroup have role admin.")
        String role() default "admin";

        @AttributeDefinition(name = "Role principal classes", description = "Class names of the principals that "
                + "carry roles (Karaf's RolePrincipal).")
        String[] rolePrincipalClasses() default {"org.apache.karaf.jaas.boot.principal.RolePrincipal"};

        @AttributeDefinition(name = "Browser realm", description = "The realm name the browser shows in its login "
                + "prompt.")
        String challengeRealm() default "msb Web Console";
    }

    private final JaasLogin login;
    private final String challenge;

    @Activate
    public JaasSecurityProvider(Config config) {
        this(login(config), config.challengeRealm());
    }

    JaasSecurityProvider(JaasLogin login, String challengeRealm) {
        this.login = login;
        this.challenge = "Basic realm=\"" + checked("challengeRealm", challengeRealm, 128)
                .replace("\\", "\\\\").replace("\"", "\\\"") + "\", charset=\"UTF-8\"";
    }

    private static JaasLogin login(Config config) {
        String[] classes = config.rolePrincipalClasses();
        if (classes == null || classes.length == 0 || Arrays.stream(classes).anyMatch(c -> c == null || c.isBlank())) {
            throw new IllegalArgumentException("rolePrincipalClasses: must name at least one class, none blank");
        }
        return new JaasLogin(checked("realm", config.realm(), 256), checked("role", config.role(), 256),
                Set.of(classes), null, JaasSecurityProvider.class.getClassLoader());
    }

    private static String checked(String field, String value, int max) {
        if (value == null || value.isBlank() || value.length() > max || value.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException(field + ": must be 1 to " + max
                    + " characters without control characters, got " + (value == null ? "none" : value.length()));
        }
        return value.strip();
    }

    /** The user's name if the realm accepts the request's Basic credentials; otherwise 401 with a challenge. */
    @Override
    public Object authenticate(HttpServletRequest request, HttpServletResponse response) {
        var credentials = BasicCredentials.parse(request.getHeader("Authorization"));
        if (credentials.isPresent() && login.accepts(credentials.get())) {
            request.setAttribute(AUTHENTICATION_TYPE, HttpServletRequest.BASIC_AUTH);
            request.setAttribute(REMOTE_USER, credentials.get().user());
            return credentials.get().user();
        }
        challenge(response);
        return null;
    }

    /** Login already required the role: every authenticated user may do everything in the console. */
    @Override
    public boolean authorize(Object user, String role) {
        return user != null;
    }

    /** No session to end: the console itself answers its logout with a 401 that makes the browser forget. */
    @Override
    public void logout(HttpServletRequest request, HttpServletResponse response) {
    }

    private void challenge(HttpServletResponse response) {
        if (response.isCommitted()) {
            return;
        }
        response.setHeader("WWW-Authenticate", challenge);
        response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
        response.setContentLength(0);
        try {
            response.flushBuffer();
        } catch (IOException e) {
            // the client went away: nothing left to tell it
        }
    }
}
