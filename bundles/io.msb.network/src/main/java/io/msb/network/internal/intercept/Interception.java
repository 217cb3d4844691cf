package io.msb.network.internal.intercept;

import io.msb.api.InvalidConfigException;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.TlsConfig;
import io.msb.network.internal.policy.SandboxPolicy;
import io.msb.network.internal.stack.Dialer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The network service's interception: the installation's CA (created in {@code caDir} on first use), CAs that
 * sandboxes name instead (each with its leaf cache, shared by the sandboxes using it), and the proxy, started
 * when the first sandbox needs it.
 */
public final class Interception implements AutoCloseable {
    private final Path caDir;
    private final List<String> upstreamCaFiles;
    private final Map<List<String>, CertificateAuthority> namedCas = new ConcurrentHashMap<>();
    private CertificateAuthority installationCa;
    private InterceptProxy proxy;

    /** @param upstreamCaFiles PEM files of CAs every sandbox's upstream servers may be signed by */
    public Interception(Path caDir, List<String> upstreamCaFiles) {
        this.caDir = caDir;
        this.upstreamCaFiles = List.copyOf(upstreamCaFiles);
    }

    /** Whether a sandbox's flows need inspecting at all: TLS interception (or secrets), or strict policy. */
    public static boolean needed(NetworkConfig config) {
        return config.tlsEnabled() || config.strict();
    }

    /** The installation's CA, created on first use. */
    public synchronized CertificateAuthority installationCa() {
        if (installationCa == null) {
            installationCa = withBouncyCastle(() -> CertificateAuthority.inDirectory(caDir));
        }
        return installationCa;
    }

    private CertificateAuthority ca(TlsConfig tls) {
        if (tls.interceptCaCertPath() == null) {
            return installationCa();
        }
        return namedCas.computeIfAbsent(List.of(tls.interceptCaCertPath(), tls.interceptCaKeyPath()),
                k -> withBouncyCastle(() -> CertificateAuthority.fromFiles(Path.of(k.get(0)), Path.of(k.get(1)))));
    }

    /** BouncyCastle is an optional import of this bundle (decision 1301): say so if it is missing. */
    private static <T> T withBouncyCastle(Supplier<T> task) {
        try {
            return task.get();
        } catch (NoClassDefFoundError e) {
            throw new IllegalStateException("TLS interception needs BouncyCastle (bcprov, bcutil, bcpkix 1.83) installed"
                    + " beside io.msb.network: " + e.getMessage(), e);
        }
    }

    private synchronized InterceptProxy proxy() {
        if (proxy == null) {
            try {
                proxy = InterceptProxy.start();
            } catch (IOException e) {
                throw new UncheckedIOException("starting the interception proxy on 127.0.0.1", e);
            }
        }
        return proxy;
    }

    /**
     * A sandbox's interception, which is also the dialer its stack uses: flows to inspect go to the proxy, the
     * others to {@code direct}.
     *
     * @param terminate told when a secret violation asks for the sandbox to be stopped
     */
    public SandboxIntercept attach(String sandbox, NetworkConfig config, SandboxPolicy policy, Dialer direct,
            Consumer<String> terminate) {
        List<io.msb.api.network.SecretEntry> entries = config.secrets().entries();
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).source() != null) { // the runtime resolves values before the network sees them
                throw new InvalidConfigException("secrets[" + i + "].source", "secrets[" + i + "] ("
                        + entries.get(i).envVar() + ") reached the network without its value resolved");
            }
        }
        SandboxTls tls = config.tlsEnabled() ? new SandboxTls(config.tls(), ca(config.tls()), upstreamCaFiles) : null;
        return new SandboxIntercept(sandbox, config, policy, tls, direct, proxy(), terminate);
    }

    @Override
    public synchronized void close() {
        if (proxy != null) {
            proxy.close();
            proxy = null;
        }
    }
}
