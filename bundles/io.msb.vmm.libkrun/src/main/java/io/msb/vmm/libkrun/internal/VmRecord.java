package io.msb.vmm.libkrun.internal;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.Properties;

/** {@code vm.properties}: which launcher process runs a sandbox's VM, for a later process's reattach and find. */
record VmRecord(String sandboxName, long pid, long startTime) {
    private static final long MAX_BYTES = 4096;

    void write(Path file) throws IOException {
        Properties p = new Properties();
        p.setProperty("sandbox", sandboxName);
        p.setProperty("backend", "libkrun");
        p.setProperty("pid", Long.toString(pid));
        p.setProperty("startTime", Long.toString(startTime));
        Path tmp = Files.createTempFile(file.getParent(), ".vm", ".tmp");
        try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            p.store(out, "msb libkrun VM: launcher pid + /proc start time");
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Empty when the file is missing, too large, malformed, or another backend's. */
    static Optional<VmRecord> read(Path file) {
        try {
            if (!Files.isRegularFile(file) || Files.size(file) > MAX_BYTES) {
                return Optional.empty();
            }
            Properties p = new Properties();
            try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(in);
            }
            if (!"libkrun".equals(p.getProperty("backend"))) {
                return Optional.empty();
            }
            return Optional.of(new VmRecord(p.getProperty("sandbox", ""), Long.parseLong(p.getProperty("pid")),
                    Long.parseLong(p.getProperty("startTime"))));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
