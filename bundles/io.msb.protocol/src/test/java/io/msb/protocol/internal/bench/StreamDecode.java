package io.msb.protocol.internal.bench;

import io.msb.protocol.Exec;
import io.msb.protocol.Frame;
import io.msb.protocol.MessageType;
import io.msb.protocol.internal.Codec;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The host side's ceiling for exec output: pre-encoded 64 KiB {@code core.exec.stdout} frames
 * (agentd's chunk size) piped by {@code cat} into the same read + decode path the client uses.
 * Usage: StreamDecode [MiB]
 */
public final class StreamDecode {
    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
        Path file = Files.createTempFile("msb-frames", ".bin");
        try {
            byte[] wire = Codec.encode(MessageType.EXEC_STDOUT, 5, new Exec.Stdout(new byte[64 * 1024])).encode();
            try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
                for (int i = 0; i < mib * 16; i++) {
                    o.write(wire);
                }
            }
            for (int round = 0; round < 3; round++) {
                Process cat = new ProcessBuilder("cat", file.toString()).start();
                InputStream in = new BufferedInputStream(cat.getInputStream(), 64 * 1024);
                long t0 = System.nanoTime();
                long bytes = 0;
                Frame f;
                while ((f = Frame.read(in)) != null) {
                    bytes += Codec.decode(f).payload(Exec.Stdout.class).data().length;
                }
                double secs = (System.nanoTime() - t0) / 1e9;
                cat.waitFor();
                System.out.printf("stdout frame decode via pipe: %.0f MB/s (%d MiB in %.2f s)%n", bytes / secs / 1e6,
                        bytes >> 20, secs);
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
