package io.msb.vmm.libkrun.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import io.msb.api.MsbException;

/**
 * An executable this bundle carries as a class path resource, written once under {@code $MSB_HOME/cache/libkrun/
 * <sha-256>/}: a process can only execute a file. Named by content, so bundles of different builds never share one.
 */
final class BundledFile {
    private BundledFile() {
    }

    static Path extract(String resource, Path cacheDir) {
        byte[] bytes;
        try (InputStream in = BundledFile.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new MsbException("the libkrun bundle lacks its resource " + resource
                        + ": configure the path in io.msb.vmm.libkrun instead");
            }
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new MsbException("cannot read resource " + resource + ": " + e.getMessage(), e);
        }
        try {
            String name = resource.substring(resource.lastIndexOf('/') + 1);
            Path dir = cacheDir.resolve(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
            Path file = dir.resolve(name);
            if (Files.isRegularFile(file) && Files.size(file) == bytes.length) {
                return file;
            }
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, name, ".tmp", PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            Files.write(tmp, bytes);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return file;
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new MsbException("cannot write " + resource + " under " + cacheDir + ": " + e.getMessage(), e);
        }
    }
}
