package io.msb.api.network;

import io.msb.api.Check;
import io.msb.api.InvalidConfigException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The secret, TLS and strict options of {@code msb run}/{@code create} and Gogo's {@code msb:run}/{@code msb:create},
 * one mapping for both: {@code --secret ENV=VALUE@HOST[,HOST]}, {@code --secret-from-env ENV@HOST[,HOST]} (the
 * value read from the caller's environment now), {@code --secret-on-violation ACTION}, {@code --net-strict},
 * {@code --tls-intercept-port PORT} and {@code --tls-bypass HOST}. A HOST is a name, {@code *.example.com} (names
 * under it) or {@code *}/{@code any} (every host). Errors name the option and the variable, never a value.
 *
 * @param secrets {@code --secret} texts
 * @param secretsFromEnv {@code --secret-from-env} texts
 * @param onViolation {@code --secret-on-violation} (block, block-and-log, block-and-terminate), or null
 * @param strict {@code --net-strict}
 * @param tlsInterceptPorts {@code --tls-intercept-port}: the ports intercepted instead of 443
 * @param tlsBypass {@code --tls-bypass}: hosts never intercepted
 */
public record SecretOptions(List<String> secrets, List<String> secretsFromEnv, String onViolation, boolean strict,
        List<Integer> tlsInterceptPorts, List<String> tlsBypass) {

    public SecretOptions {
        secrets = secrets == null ? List.of() : List.copyOf(secrets);
        secretsFromEnv = secretsFromEnv == null ? List.of() : List.copyOf(secretsFromEnv);
        tlsInterceptPorts = tlsInterceptPorts == null ? List.of() : List.copyOf(tlsInterceptPorts);
        tlsBypass = tlsBypass == null ? List.of() : List.copyOf(tlsBypass);
    }

    /** Whether any of these options was given. */
    public boolean given() {
        return !secrets.isEmpty() || !secretsFromEnv.isEmpty() || onViolation != null || strict
                || !tlsInterceptPorts.isEmpty() || !tlsBypass.isEmpty();
    }

    /**
     * {@code base} (a network that is on) with these options.
     *
     * @param environment the caller's environment, where {@code --secret-from-env} reads
     */
    public NetworkConfig applyTo(NetworkConfig base, Function<String, String> environment) {
        if (!given()) {
            return base;
        }
        if (!base.enabled()) {
            throw Check.invalid("--no-net", "cannot be combined with --secret, --secret-from-env, --net-strict or"
                    + " --tls options (they need a network)");
        }
        List<SecretEntry> entries = new ArrayList<>(base.secrets().entries());
        for (String text : secrets) {
            entries.add(secret(text));
        }
        for (String text : secretsFromEnv) {
            entries.add(secretFromEnv(text, environment));
        }
        ViolationAction action = base.secrets().onViolation();
        if (onViolation != null) {
            action = violation(onViolation);
        } else if (entries.isEmpty()) {
            action = null;
        }
        SecretsConfig secretsConfig;
        try {
            secretsConfig = new SecretsConfig(entries, action);
        } catch (InvalidConfigException e) {
            throw Check.invalid("--secret", e.detail().replaceFirst("^secrets\\[\\d+]\\.", ""));
        }
        TlsConfig tls = base.tls();
        if (!tlsInterceptPorts.isEmpty() || !tlsBypass.isEmpty()) {
            try {
                tls = new TlsConfig(true, tlsInterceptPorts.isEmpty() ? tls.interceptedPorts() : tlsInterceptPorts,
                        tlsBypass.isEmpty() ? tls.bypass() : tlsBypass, tls.verifyUpstream(),
                        tls.blockQuicOnIntercept(), tls.upstreamCaCert(), tls.scopedUpstreamCaCert(),
                        tls.scopedVerifyUpstream(), tls.interceptCaCertPath(), tls.interceptCaKeyPath(),
                        tls.cacheCapacity(), tls.cacheValidityHours());
            } catch (InvalidConfigException e) {
                String option = e.field() != null && e.field().startsWith("bypass") ? "--tls-bypass"
                        : "--tls-intercept-port";
                throw Check.invalid(option, e.detail().replaceFirst("^[a-z_]+(\\[\\d+])?: ", ""));
            }
        }
        return new NetworkConfig(true, base.iface(), base.ports(), base.policy(), base.dns(), tls, secretsConfig,
                base.maxConnections(), base.rateLimiter(), base.trustHostCas(), base.strict() || strict);
    }

    /** {@code ENV=VALUE@HOST[,HOST]}: the value is everything between the first {@code =} and the last {@code @}. */
    static SecretEntry secret(String text) {
        int eq = text.indexOf('=');
        int at = text.lastIndexOf('@');
        if (eq <= 0 || at < eq) {
            throw Check.invalid("--secret", "give ENV=VALUE@HOST[,HOST] (HOST: a name, *.example.com, or * for"
                    + " any host)" + (eq > 0 ? ", for " + text.substring(0, eq) : ""));
        }
        String env = text.substring(0, eq);
        String value = text.substring(eq + 1, at);
        if (value.isEmpty()) {
            throw Check.invalid("--secret", env + " has an empty value");
        }
        return entry("--secret", env, value, text.substring(at + 1));
    }

    /** {@code ENV@HOST[,HOST]}, the value from {@code environment}'s {@code ENV}. */
    static SecretEntry secretFromEnv(String text, Function<String, String> environment) {
        int at = text.lastIndexOf('@');
        if (at <= 0) {
            throw Check.invalid("--secret-from-env", "give ENV@HOST[,HOST] (HOST: a name, *.example.com, or * for"
                    + " any host), got \"" + text + "\"");
        }
        String env = text.substring(0, at);
        String value = environment.apply(env);
        if (value == null || value.isEmpty()) {
            throw Check.invalid("--secret-from-env", "the environment has no variable " + env + " (or it is empty)");
        }
        return entry("--secret-from-env", env, value, text.substring(at + 1));
    }

    private static SecretEntry entry(String option, String env, String value, String hostList) {
        List<HostPattern> hosts = new ArrayList<>();
        for (String h : hostList.split(",", -1)) {
            String host = h.strip();
            if (host.isEmpty()) {
                throw Check.invalid(option, env + ": an empty host in \"" + hostList + "\"");
            }
            try {
                hosts.add(HostPattern.parse(host));
            } catch (InvalidConfigException e) {
                throw Check.invalid(option, env + ": host \"" + host + "\": " + e.detail()
                        .replaceFirst("^value: ", ""));
            }
        }
        try {
            return SecretEntry.of(env, value, hosts);
        } catch (InvalidConfigException e) {
            // the entry's own rules (env_var, placeholder, size): their messages hold no value
            throw Check.invalid(option, env.length() > 64 ? e.detail() : env + ": " + e.detail());
        }
    }

    /** {@code block}, {@code block-and-log} or {@code block-and-terminate} (snake_case too). */
    static ViolationAction violation(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT).replace('_', '-')) {
            case "block" -> ViolationAction.BLOCK;
            case "block-and-log" -> ViolationAction.BLOCK_AND_LOG;
            case "block-and-terminate" -> ViolationAction.BLOCK_AND_TERMINATE;
            default -> throw Check.invalid("--secret-on-violation", "must be block, block-and-log or"
                    + " block-and-terminate, got \"" + text + "\"");
        };
    }
}
