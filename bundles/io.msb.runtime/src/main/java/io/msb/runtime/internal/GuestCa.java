package io.msb.runtime.internal;

import io.msb.api.MsbException;
import io.msb.api.fs.FileStat;
import io.msb.api.fs.FileType;
import io.msb.api.fs.SandboxFs;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Makes a guest trust the TLS interception CA (decision 1317), through the agent once it answers, on every boot,
 * restore and warm-pool take: the PEM is appended to each system bundle the image has (Debian/Ubuntu/Alpine
 * {@code /etc/ssl/certs/ca-certificates.crt}, RHEL/Fedora {@code /etc/pki/tls/certs/ca-bundle.crt}, followed through
 * their symbolic links) unless it is there already, and written to
 * {@code /usr/local/share/ca-certificates/msb-intercept-ca.crt}, where {@code update-ca-certificates} finds it if the
 * guest regenerates its bundle. No bundle is created where the image has none.
 */
final class GuestCa {
    static final List<String> BUNDLES = List.of("/etc/ssl/certs/ca-certificates.crt",
            "/etc/pki/tls/certs/ca-bundle.crt");
    static final String DIR = "/usr/local/share/ca-certificates";
    static final String FILE = DIR + "/msb-intercept-ca.crt";
    /** Where {@code trust_host_cas} puts the host's CA certificates (decision 1320). */
    static final String HOST_FILE = DIR + "/msb-host-cas.crt";
    /** The host's bundles, the first that exists is given to guests with {@code trust_host_cas}. */
    static final List<String> HOST_BUNDLES = BUNDLES;

    private GuestCa() {
    }

    static void install(SandboxFs fs, String pem) {
        install(fs, pem, FILE);
    }

    /** The host's CA bundle, for {@code trust_host_cas}: the first of {@link #HOST_BUNDLES} on this machine. */
    static String hostBundle() {
        for (String bundle : HOST_BUNDLES) {
            java.nio.file.Path p = java.nio.file.Path.of(bundle);
            if (java.nio.file.Files.isRegularFile(p)) {
                try {
                    return java.nio.file.Files.readString(p, StandardCharsets.UTF_8);
                } catch (java.io.IOException e) {
                    throw new MsbException("network.trust_host_cas: cannot read the host's CA bundle " + p + ": "
                            + e.getMessage(), e);
                }
            }
        }
        throw new io.msb.api.UnsupportedFeatureException("network.trust_host_cas: the host has no CA bundle ("
                + String.join(" or ", HOST_BUNDLES) + ")");
    }

    /** {@code pem} (one certificate or a bundle) appended to the guest's bundles and written to {@code file}. */
    static void install(SandboxFs fs, String pem, String file) {
        String cert = pem.endsWith("\n") ? pem : pem + "\n";
        byte[] certBytes = cert.getBytes(StandardCharsets.UTF_8);
        try {
            for (String bundle : BUNDLES) {
                FileStat stat;
                try {
                    stat = fs.stat(bundle);
                } catch (io.msb.api.NotFoundException e) {
                    continue;
                }
                if (stat.type() != FileType.FILE) {
                    continue;
                }
                String current = new String(fs.readAllBytes(bundle), StandardCharsets.UTF_8);
                if (current.contains(cert.strip())) {
                    continue; // a restart, or a restored snapshot of a guest that has it already
                }
                String joined = current.isEmpty() || current.endsWith("\n") ? current + cert : current + "\n" + cert;
                fs.write(bundle, new java.io.ByteArrayInputStream(joined.getBytes(StandardCharsets.UTF_8)),
                        stat.mode() == 0 ? 0644 : stat.mode());
            }
            fs.mkdirs(DIR, 0755);
            fs.write(file, new java.io.ByteArrayInputStream(certBytes), 0644);
        } catch (RuntimeException e) {
            throw new MsbException("cannot install " + (file.equals(FILE) ? "the TLS interception CA"
                    : "the host's CA certificates") + " into the guest: " + e.getMessage(), e);
        }
    }
}
