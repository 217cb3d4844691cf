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

    private GuestCa() {
    }

    static void install(SandboxFs fs, String pem) {
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
            fs.write(FILE, new java.io.ByteArrayInputStream(certBytes), 0644);
        } catch (RuntimeException e) {
            throw new MsbException("cannot install the TLS interception CA into the guest: " + e.getMessage(), e);
        }
    }
}
