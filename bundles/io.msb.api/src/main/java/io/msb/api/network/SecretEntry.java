package io.msb.api.network;

import io.msb.api.Check;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * One secret the guest may use but never read: the guest's environment variable {@code envVar} holds only the
 * placeholder, and the network substitutes the value in requests to {@code allowedHosts}. JSON (local form)
 * {@code {"env_var":"API_KEY","value":"…","placeholder":"$MSB_API_KEY","allowed_hosts":[{"exact":"api.x.com"}],
 * "injection":{…},"on_violation":"block-and-log","require_tls_identity":true}}; the cloud form is the same with
 * {@code {"type":…}} tags. {@link #toString()} and {@link #toMap()} never show the value.
 *
 * @param envVar the guest's variable: not empty, no {@code =} or NUL
 * @param value the secret, or empty when {@code source} says where it is
 * @param source where the value is, or null when {@code value} holds it
 * @param placeholder what the guest sees instead (default {@code $MSB_<envVar>}): 1..1024 bytes, no NUL, CR or LF
 * @param allowedHosts where the value may go; at least one ({@link HostPattern#ANY} allows every host)
 * @param injection the parts of a request the value is put in
 * @param onViolation this entry's action, or null for the set's
 * @param requireTlsIdentity substitute only inside intercepted TLS whose server name matches an allowed host
 */
public record SecretEntry(String envVar, String value, SecretSource source, String placeholder,
        List<HostPattern> allowedHosts, Injection injection, ViolationAction onViolation, boolean requireTlsIdentity) {
    public static final int MAX_PLACEHOLDER_BYTES = 1024;
    public static final int MAX_VALUE_BYTES = 64 * 1024;
    public static final int MAX_ENV_VAR_BYTES = 1024;
    public static final int MAX_HOSTS = 256;

    public SecretEntry {
        Check.notEmpty("env_var", envVar, MAX_ENV_VAR_BYTES);
        if (envVar.indexOf('=') >= 0 || envVar.indexOf('\0') >= 0) {
            throw Check.invalid("env_var", "must not contain '=' or NUL");
        }
        value = value == null ? "" : value;
        if (value.getBytes(StandardCharsets.UTF_8).length > MAX_VALUE_BYTES) {
            throw Check.invalid("value", "is longer than " + MAX_VALUE_BYTES + " bytes");
        }
        if (value.isEmpty() == (source == null)) {
            throw Check.invalid(source == null ? "value" : "source", "give exactly one of value and source");
        }
        placeholder = placeholder == null || placeholder.isEmpty() ? defaultPlaceholder(envVar) : placeholder;
        Check.maxLength("placeholder", placeholder, MAX_PLACEHOLDER_BYTES);
        if (placeholder.chars().anyMatch(c -> c == 0 || c == '\r' || c == '\n')) {
            throw Check.invalid("placeholder", "must not contain NUL, CR or LF");
        }
        if (!value.isEmpty() && value.contains(placeholder)) {
            throw Check.invalid("placeholder", "must not occur in the value");
        }
        allowedHosts = List.copyOf(Check.maxSize("allowed_hosts", allowedHosts == null ? List.of() : allowedHosts,
                MAX_HOSTS));
        if (allowedHosts.isEmpty()) {
            throw Check.invalid("allowed_hosts", "needs at least one host (or \"any\", which lets the secret go anywhere)");
        }
        injection = injection == null ? Injection.DEFAULT : injection;
    }

    /** microsandbox's default placeholder: {@code $MSB_} and the variable's name. */
    public static String defaultPlaceholder(String envVar) {
        return "$MSB_" + envVar;
    }

    /** An inline secret for {@code hosts} with every other field at its default. */
    public static SecretEntry of(String envVar, String value, List<HostPattern> hosts) {
        return new SecretEntry(envVar, value, null, null, hosts, null, null, true);
    }

    /** Whether the value may be sent to {@code host}. */
    public boolean allows(String host) {
        return allowedHosts.stream().anyMatch(p -> p.matches(host));
    }

    /** The same entry with its value moved to {@code newSource}. */
    public SecretEntry withSource(SecretSource newSource) {
        return new SecretEntry(envVar, "", newSource, placeholder, allowedHosts, injection, onViolation,
                requireTlsIdentity);
    }

    @Override
    public String toString() {
        return "SecretEntry[envVar=" + envVar + ", value=" + (value.isEmpty() ? "" : "<redacted>") + ", source="
                + source + ", placeholder=" + placeholder + ", allowedHosts=" + allowedHosts + "]";
    }

    /** The local JSON form without the value (a secret that still has an inline value shows {@code "value":"<redacted>"}). */
    public Map<String, Object> toMap() {
        return toMap(false);
    }

    /**
     * The local JSON form; with {@code includeValue} the value too, for a client that sends the entry to a server
     * (nothing else may ask for it).
     */
    public Map<String, Object> toMap(boolean includeValue) {
        return MapReader.ordered("env_var", envVar,
                "value", value.isEmpty() ? null : includeValue ? value : "<redacted>",
                "source", source == null ? null : source.toMap(), "placeholder", placeholder,
                "allowed_hosts", allowedHosts.stream().map(HostPattern::toMap).toList(), "injection", injection.toMap(),
                "on_violation", onViolation == null ? null : onViolation.toMap(),
                "require_tls_identity", requireTlsIdentity);
    }

    static SecretEntry read(Object v, String path) {
        MapReader m = MapReader.of(v, path);
        return m.build(() -> {
            String value = m.string("value");
            if ("<redacted>".equals(value)) {
                throw new MapReader.PathError(m.at("value"), "is a redacted value: give the secret itself or a source");
            }
            return new SecretEntry(m.requiredString("env_var"), value, m.object("source", SecretSource::read),
                    m.string("placeholder"), m.list("allowed_hosts", MAX_HOSTS, HostPattern::read),
                    m.object("injection", Injection::read), m.object("on_violation", ViolationAction::read),
                    m.bool("require_tls_identity", true));
        });
    }
}
