package io.msb.network.internal.intercept;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The CA intercepted TLS is signed with, and the leaf certificates it has minted (an LRU cache). The
 * installation's CA is an EC P-256 key and a self-signed certificate kept in a directory (the key owner-only,
 * both written to temporary files and renamed, reused on restart); a sandbox may name its own CA files instead.
 * All leaves share one EC key pair made at start: minting is then a signature, not a key generation.
 */
public final class CertificateAuthority {
    public static final String CERT_FILE = "ca.crt";
    public static final String KEY_FILE = "ca.key";
    static final String NAME = "CN=msb interception CA,O=msb";
    /** A leaf is minted again when less than this is left of its validity. */
    static final Duration RENEW_BEFORE = Duration.ofMinutes(5);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A minted leaf: its chain (leaf, CA) and the key it certifies. */
    public record Leaf(X509Certificate[] chain, PrivateKey key) {
        public Leaf {
            chain = chain.clone();
        }

        @Override
        public X509Certificate[] chain() {
            return chain.clone();
        }
    }

    private final X509Certificate certificate;
    private final PrivateKey key;
    private final KeyPair leafKeys;
    private final Map<String, Leaf> leaves = new LinkedHashMap<>(64, 0.75f, true);

    CertificateAuthority(X509Certificate certificate, PrivateKey key) {
        this.certificate = certificate;
        this.key = key;
        this.leafKeys = ecKeyPair();
    }

    /** The CA in {@code dir} ({@value #CERT_FILE}, {@value #KEY_FILE}), created there if it is not complete. */
    public static CertificateAuthority inDirectory(Path dir) {
        Path cert = dir.resolve(CERT_FILE);
        Path keyFile = dir.resolve(KEY_FILE);
        if (Files.isRegularFile(cert) && Files.isRegularFile(keyFile)) {
            return fromFiles(cert, keyFile);
        }
        try {
            Files.createDirectories(dir);
            KeyPair pair = ecKeyPair();
            X509Certificate self = selfSigned(pair);
            // the key first: a certificate on disk always has its key beside it
            writeAtomically(keyFile, pem(new JcaPKCS8Generator(pair.getPrivate(), null)), true);
            writeAtomically(cert, pem(self), false);
            return new CertificateAuthority(self, pair.getPrivate());
        } catch (IOException e) {
            throw new UncheckedIOException("creating the TLS interception CA in " + dir, e);
        }
    }

    /** A CA from PEM files (a certificate; a PKCS#8 or traditional EC/RSA private key). */
    public static CertificateAuthority fromFiles(Path certFile, Path keyFile) {
        try {
            X509Certificate cert;
            try (var in = Files.newInputStream(certFile)) {
                cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            }
            PrivateKey privateKey;
            try (Reader r = Files.newBufferedReader(keyFile, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r)) {
                Object o = p.readObject();
                JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
                if (o instanceof PEMKeyPair kp) {
                    privateKey = conv.getPrivateKey(kp.getPrivateKeyInfo());
                } else if (o instanceof PrivateKeyInfo info) {
                    privateKey = conv.getPrivateKey(info);
                } else {
                    throw new IOException(keyFile + " holds no unencrypted private key");
                }
            }
            return new CertificateAuthority(cert, privateKey);
        } catch (IOException | GeneralSecurityException | ClassCastException e) {
            throw new IllegalArgumentException("cannot read the TLS interception CA from " + certFile + " and "
                    + keyFile + ": " + e.getMessage(), e);
        }
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** The CA certificate, PEM. */
    public String certificatePem() {
        return pem(certificate);
    }

    /**
     * A leaf for {@code name} (a DNS name, or an IP literal which gets an IP SAN), minted once and kept while it
     * has validity left; at most {@code capacity} leaves are kept, the least recently used goes first.
     */
    public Leaf leaf(String name, int validityHours, int capacity) {
        Instant now = Instant.now();
        synchronized (leaves) {
            Leaf l = leaves.get(name);
            if (l != null && l.chain[0].getNotAfter().toInstant().isAfter(now.plus(RENEW_BEFORE))) {
                return l;
            }
        }
        Leaf minted = mint(name, now, validityHours);
        synchronized (leaves) {
            leaves.put(name, minted);
            Iterator<String> eldest = leaves.keySet().iterator();
            while (leaves.size() > capacity && eldest.hasNext()) {
                eldest.next();
                eldest.remove();
            }
        }
        return minted;
    }

    private Leaf mint(String name, Instant now, int validityHours) {
        Instant notAfter = now.plus(Duration.ofHours(validityHours));
        if (notAfter.isAfter(certificate.getNotAfter().toInstant())) {
            notAfter = certificate.getNotAfter().toInstant();
        }
        try {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate, serial(),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(notAfter), new X500Name("CN=" + name),
                    leafKeys.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            boolean ip = HostNames.isIpLiteral(name);
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, name)));
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
            X509Certificate leaf = new JcaX509CertificateConverter().getCertificate(b.build(signer(key)));
            return new Leaf(new X509Certificate[] {leaf, certificate}, leafKeys.getPrivate());
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("minting a certificate for " + name + ": " + e.getMessage(), e);
        }
    }

    private static X509Certificate selfSigned(KeyPair pair) {
        Instant now = Instant.now();
        try {
            X500Name name = new X500Name(NAME);
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(3650))), name,
                    pair.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            return new JcaX509CertificateConverter().getCertificate(b.build(signer(pair.getPrivate())));
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("creating the interception CA: " + e.getMessage(), e);
        }
    }

    private static ContentSigner signer(PrivateKey k) throws OperatorCreationException {
        return new JcaContentSignerBuilder(k.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA")
                .build(k);
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    private static KeyPair ecKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no EC P-256 in this JDK", e);
        }
    }

    static String pem(Object o) {
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            if (o instanceof JcaPKCS8Generator g) {
                w.writeObject(g.generate());
            } else {
                w.writeObject(o);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return s.toString();
    }

    /** Writes a temporary file (owner-only if {@code secret}, from its creation) and renames it into place. */
    private static void writeAtomically(Path target, String text, boolean secret) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp-" + Long.toHexString(RANDOM.nextLong()));
        try {
            if (secret) {
                try {
                    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rw-------")));
                } catch (UnsupportedOperationException e) {
                    Files.createFile(tmp);
                }
            } else {
                Files.createFile(tmp);
            }
            Files.writeString(tmp, text, StandardCharsets.US_ASCII);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (FileAlreadyExistsException e) {
            throw new IOException("temporary file exists: " + tmp, e);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
