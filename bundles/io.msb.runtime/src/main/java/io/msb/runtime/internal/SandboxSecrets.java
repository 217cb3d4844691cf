package io.msb.runtime.internal;

import io.msb.api.Check;
import io.msb.api.SandboxSpec;
import io.msb.api.UnsupportedFeatureException;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.SecretEntry;
import io.msb.api.network.SecretSource;
import io.msb.api.network.SecretsConfig;
import io.msb.api.spi.SecretStore;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A sandbox's secrets on the server side (decision 1316): at create every value moves into the {@link SecretStore}
 * under {@code sandbox/<name>/<ENV_VAR>} and the spec keeps only {@code {"type":"store","reference":…}}, so nothing
 * that copies the spec (the record, inspect, HTTP responses, snapshots, logs) holds a value; at every attach the
 * references are resolved again, {@code env} sources from the server's own environment. Error messages name the
 * field and the variable or reference, never a value.
 */
final class SandboxSecrets {
    private final Supplier<SecretStore> store;
    private final Function<String, String> environment;

    SandboxSecrets(Supplier<SecretStore> store, Function<String, String> environment) {
        this.store = store;
        this.environment = environment;
    }

    /**
     * The server's environment as sandboxes may see it: only variables named in {@code patterns} (exact names, or
     * prefixes ending in {@code *}). Any API client could otherwise have the server send any of its variables (a cloud
     * credential, say) to a host of the client's choosing (decision 1321).
     */
    static Function<String, String> readable(String[] patterns, Function<String, String> environment) {
        List<String> allowed = List.of(patterns);
        return name -> allowed.stream().anyMatch(p -> p.endsWith("*") ? name.startsWith(p.substring(0, p.length() - 1))
                : name.equals(p)) ? environment.apply(name) : null;
    }

    private static io.msb.api.InvalidConfigException noVariable(int i, String name) {
        return Check.invalid(field(i), "the server's environment has no variable " + name + " that sandboxes may read"
                + " (an env source is read from the msb server's environment, limited to the variables the runtime's"
                + " secretEnvVariables setting names)");
    }

    /** Where a sandbox's values live in the store. */
    static String prefix(String sandbox) {
        return "sandbox/" + sandbox + "/";
    }

    private static String field(int i) {
        return "network.secrets.secrets[" + i + "].source";
    }

    /**
     * Refuses what a caller may not ask for, before anything is written: a {@code store} source (only msb writes its
     * store, and a reference could name another sandbox's value) and an {@code env} source the server's environment
     * lacks.
     */
    void checkRequested(SandboxSpec spec) {
        NetworkConfig network = spec.network();
        if (network == null || !network.hasSecrets()) {
            return;
        }
        List<SecretEntry> entries = network.secrets().entries();
        for (int i = 0; i < entries.size(); i++) {
            SecretSource source = entries.get(i).source();
            if (source != null && source.kind() == SecretSource.Kind.STORE) {
                throw Check.invalid(field(i), "type store names msb's own secret store, which only msb writes: give"
                        + " the value, or {\"type\":\"env\",\"var\":…} for a variable of the server's environment");
            }
        }
        checkEnvironment(network);
    }

    /** Every {@code env} source names a variable the server's environment has. */
    void checkEnvironment(NetworkConfig network) {
        List<SecretEntry> entries = network.secrets().entries();
        for (int i = 0; i < entries.size(); i++) {
            SecretSource source = entries.get(i).source();
            if (source != null && source.kind() == SecretSource.Kind.ENV) {
                String value = environment.apply(source.name());
                if (value == null || value.isEmpty()) {
                    throw noVariable(i, source.name());
                }
            }
        }
    }

    /**
     * The spec with every value that is inline or in the store under another reference (a snapshot's) put under this
     * sandbox's prefix; {@code env} sources stay as they are. The caller removes the prefix if the create fails.
     */
    SandboxSpec keep(SandboxSpec spec) {
        NetworkConfig network = spec.network();
        if (network == null || !network.hasSecrets()) {
            return spec;
        }
        SecretStore secrets = requireStore();
        List<SecretEntry> entries = network.secrets().entries();
        List<SecretEntry> kept = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            SecretEntry e = entries.get(i);
            String reference = prefix(spec.name()) + e.envVar();
            if (e.source() == null) {
                secrets.put(reference, e.value());
            } else if (e.source().kind() == SecretSource.Kind.STORE && !e.source().name().equals(reference)) {
                secrets.put(reference, storeValue(secrets, e.source(), i));
            } else {
                kept.add(e);
                continue;
            }
            kept.add(e.withSource(SecretSource.store(reference)));
        }
        return spec.toBuilder().network(network.withSecrets(new SecretsConfig(kept,
                network.secrets().onViolation()))).build();
    }

    /** Copies the values {@code network} references under {@code prefix} (a snapshot's), returning the new config. */
    NetworkConfig copyTo(NetworkConfig network, String prefix) {
        if (network == null || !network.hasSecrets()) {
            return network;
        }
        SecretStore secrets = requireStore();
        List<SecretEntry> entries = network.secrets().entries();
        List<SecretEntry> copied = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            SecretEntry e = entries.get(i);
            if (e.source() == null || e.source().kind() == SecretSource.Kind.STORE) {
                String reference = prefix + e.envVar();
                secrets.put(reference, e.source() == null ? e.value() : storeValue(secrets, e.source(), i));
                copied.add(e.withSource(SecretSource.store(reference)));
            } else {
                copied.add(e);
            }
        }
        return network.withSecrets(new SecretsConfig(copied, network.secrets().onViolation()));
    }

    /** The configuration the network service gets: every value in place, every source null. */
    NetworkConfig resolve(NetworkConfig network) {
        if (network == null || !network.hasSecrets()) {
            return network;
        }
        List<SecretEntry> entries = network.secrets().entries();
        List<SecretEntry> resolved = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            SecretEntry e = entries.get(i);
            if (e.source() == null) {
                resolved.add(e);
                continue;
            }
            String value;
            if (e.source().kind() == SecretSource.Kind.STORE) {
                value = storeValue(requireStore(), e.source(), i);
            } else {
                value = environment.apply(e.source().name());
                if (value == null || value.isEmpty()) {
                    throw noVariable(i, e.source().name());
                }
            }
            resolved.add(new SecretEntry(e.envVar(), value, null, e.placeholder(), e.allowedHosts(), e.injection(),
                    e.onViolation(), e.requireTlsIdentity()));
        }
        return network.withSecrets(new SecretsConfig(resolved, network.secrets().onViolation()));
    }

    /** Forgets every value under {@code prefix}; nothing to do without a store. */
    void removeAll(String prefix) {
        SecretStore secrets = store.get();
        if (secrets != null) {
            secrets.removeAll(prefix);
        }
    }

    private static String storeValue(SecretStore secrets, SecretSource source, int i) {
        return secrets.get(source.name()).orElseThrow(() -> Check.invalid(field(i), "reference " + source.name()
                + " is not in msb's secret store (its sandbox or snapshot was removed?)"));
    }

    private SecretStore requireStore() {
        SecretStore secrets = store.get();
        if (secrets == null) {
            throw new UnsupportedFeatureException("network.secrets: no SecretStore (io.msb.store) is running to keep"
                    + " the values encrypted");
        }
        return secrets;
    }
}
