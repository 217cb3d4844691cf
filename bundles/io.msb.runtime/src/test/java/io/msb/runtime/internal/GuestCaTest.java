package io.msb.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.msb.api.NotFoundException;
import io.msb.api.fs.FileStat;
import io.msb.api.fs.FileType;
import io.msb.api.fs.SandboxFs;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The interception CA appended to the image's bundles once, written beside them, and no bundle made from nothing. */
class GuestCaTest {
    private static final String PEM = "-----BEGIN CERTIFICATE-----\nMIIBmsbtest\n-----END CERTIFICATE-----\n";

    /** Files and directories in memory. */
    static final class MemoryFs implements SandboxFs {
        final Map<String, String> files = new TreeMap<>();
        final Map<String, Integer> modes = new TreeMap<>();
        final java.util.Set<String> dirs = new java.util.TreeSet<>();

        public FileStat stat(String path) {
            if (files.containsKey(path)) {
                return new FileStat(path, FileType.FILE, files.get(path).length(), modes.getOrDefault(path, 0644), 0, 0,
                        null);
            }
            if (dirs.contains(path)) {
                return new FileStat(path, FileType.DIRECTORY, 0, 0755, 0, 0, null);
            }
            throw new NotFoundException("file", path);
        }

        public InputStream read(String path) {
            stat(path);
            return new ByteArrayInputStream(files.get(path).getBytes(StandardCharsets.UTF_8));
        }

        public void write(String path, InputStream content, int mode) {
            try {
                files.put(path, new String(content.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            modes.put(path, mode);
        }

        public void mkdirs(String path, int mode) {
            dirs.add(path);
        }

        public List<FileStat> list(String directory) {
            throw new UnsupportedOperationException();
        }

        public void remove(String path) {
            throw new UnsupportedOperationException();
        }

        public void removeRecursive(String path) {
            throw new UnsupportedOperationException();
        }

        public void rename(String from, String to) {
            throw new UnsupportedOperationException();
        }

        public void copy(String from, String to) {
            throw new UnsupportedOperationException();
        }

        public void symlink(String target, String link) {
            throw new UnsupportedOperationException();
        }

        public String readlink(String path) {
            throw new UnsupportedOperationException();
        }

        public String realpath(String path) {
            throw new UnsupportedOperationException();
        }

        public void setStat(String path, Integer mode, Integer uid, Integer gid, Instant modified) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void appendsToTheBundlesTheImageHasOnceAndWritesTheCertificateBeside() {
        MemoryFs fs = new MemoryFs();
        fs.files.put("/etc/ssl/certs/ca-certificates.crt", "-----BEGIN CERTIFICATE-----\nsystem\n-----END CERTIFICATE-----");
        fs.modes.put("/etc/ssl/certs/ca-certificates.crt", 0444);
        GuestCa.install(fs, PEM);
        GuestCa.install(fs, PEM); // a second boot of the same disk
        assertEquals("-----BEGIN CERTIFICATE-----\nsystem\n-----END CERTIFICATE-----\n" + PEM,
                fs.files.get("/etc/ssl/certs/ca-certificates.crt"));
        assertEquals(0444, fs.modes.get("/etc/ssl/certs/ca-certificates.crt"), "the bundle keeps its mode");
        assertEquals(PEM, fs.files.get(GuestCa.FILE));
        assertFalse(fs.files.containsKey("/etc/pki/tls/certs/ca-bundle.crt"), "no RHEL bundle made from nothing");
    }

    @Test
    void aBundleOfManyCertificatesGoesInWholeUnderItsOwnFile() {
        MemoryFs fs = new MemoryFs();
        fs.files.put("/etc/pki/tls/certs/ca-bundle.crt", "rhel roots\n");
        String hostCas = PEM + PEM.replace("MIIBmsbtest", "MIIBsecond");
        GuestCa.install(fs, hostCas, GuestCa.HOST_FILE);
        GuestCa.install(fs, hostCas, GuestCa.HOST_FILE);
        assertEquals("rhel roots\n" + hostCas, fs.files.get("/etc/pki/tls/certs/ca-bundle.crt"));
        assertEquals(hostCas, fs.files.get(GuestCa.HOST_FILE));
        assertFalse(fs.files.containsKey(GuestCa.FILE));
    }

    @Test
    void anImageWithoutBundlesOnlyGetsTheCertificateFile() {
        MemoryFs fs = new MemoryFs();
        GuestCa.install(fs, PEM.strip());
        assertEquals(Map.of(GuestCa.FILE, PEM), fs.files);
    }
}
