package io.msb.network.internal.intercept;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {
    @TempDir
    Path dir;

    @Test
    void createdOnceOwnerOnlyAndReusedAfterARestart() throws Exception {
        CertificateAuthority first = CertificateAuthority.inDirectory(dir.resolve("tls"));
        Path key = dir.resolve("tls").resolve(CertificateAuthority.KEY_FILE);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        CertificateAuthority again = CertificateAuthority.inDirectory(dir.resolve("tls"));
        assertArrayEquals(first.certificate().getEncoded(), again.certificate().getEncoded());
        assertTrue(first.certificatePem().startsWith("-----BEGIN CERTIFICATE-----"));
        assertTrue(first.certificate().getSubjectX500Principal().getName().contains("msb interception CA"));
        assertEquals(0, first.certificate().getBasicConstraints());
        try (var files = Files.list(dir.resolve("tls"))) {
            assertEquals(2, files.count(), "no temporary files left behind");
        }
    }

    @Test
    void leavesAreSignedByTheCaCachedAndEvictedLeastRecentlyUsedFirst() throws Exception {
        CertificateAuthority ca = CertificateAuthority.inDirectory(dir);
        CertificateAuthority.Leaf a = ca.leaf("api.test", 24, 2);
        X509Certificate leaf = a.chain()[0];
        leaf.verify(ca.certificate().getPublicKey());
        leaf.checkValidity();
        assertEquals(List.of(2, "api.test"), List.copyOf(leaf.getSubjectAlternativeNames().iterator().next()));
        assertSame(a, ca.leaf("api.test", 24, 2));
        ca.leaf("b.test", 24, 2);
        ca.leaf("api.test", 24, 2); // used: b.test is now the eldest
        ca.leaf("c.test", 24, 2);
        assertSame(a, ca.leaf("api.test", 24, 2));
        X509Certificate ip = ca.leaf("10.0.0.1", 1, 2).chain()[0];
        assertEquals(List.of(7, "10.0.0.1"), List.copyOf(ip.getSubjectAlternativeNames().iterator().next()));
        assertTrue(ip.getNotAfter().getTime() - System.currentTimeMillis() <= 3_600_000L);
        assertNotSame(a, CertificateAuthority.inDirectory(dir).leaf("api.test", 24, 2));
    }

    @Test
    void aCaFromFilesSignsAsTheInstallationsDoes() {
        CertificateAuthority.inDirectory(dir);
        CertificateAuthority named = CertificateAuthority.fromFiles(dir.resolve(CertificateAuthority.CERT_FILE),
                dir.resolve(CertificateAuthority.KEY_FILE));
        assertEquals(named.certificate(), named.leaf("x.test", 24, 10).chain()[1]);
    }
}
