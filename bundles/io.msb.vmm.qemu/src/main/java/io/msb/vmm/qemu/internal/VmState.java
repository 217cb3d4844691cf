package io.msb.vmm.qemu.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.Properties;

/**
 * What a later process needs to reattach to a VM: written to {@code vm.properties} in the state directory
 * (temporary file + rename) once QEMU is up.
 */
record VmState(String sandboxName, long pid, long startTime, boolean detached) {
    private static final long MAX_BYTES = 4096;
    /** Marks the file as this backend's: another backend's VM in the same directory layout is not ours to signal. */
    private static final String BACKEND = "qemu";

    void write(Path file) throws IOException {
        Properties p = new Properties();
        p.setProperty("backend", BACKEND);
        p.setProperty("sandbox", sandboxName);
        p.setProperty("pid", Long.toString(pid));
        p.setProperty("startTime", Long.toString(startTime));
        p.setProperty("detached", Boolean.toString(detached));
        Path tmp = Files.createTempFile(file.getParent(), ".vm", ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            p.store(out, "msb QEMU VM identity: pid + /proc start time");
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * The recorded state, or empty when the file is missing, malformed, or another backend's (a file from before the
     * mark, without one, is ours).
     */
    static Optional<VmState> read(Path file) {
        try {
            if (!Files.isRegularFile(file) || Files.size(file) > MAX_BYTES) {
                return Optional.empty();
            }
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            }
            if (!BACKEND.equals(p.getProperty("backend", BACKEND))) {
                return Optional.empty();
            }
            return Optional.of(new VmState(p.getProperty("sandbox", ""), Long.parseLong(p.getProperty("pid")),
                    Long.parseLong(p.getProperty("startTime")), Boolean.parseBoolean(p.getProperty("detached"))));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
