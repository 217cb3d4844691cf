import io.msb.api.SandboxHandle;
import io.msb.api.fs.SandboxFs;
import io.msb.e2e.Platform;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The floor under sftp's figures (see README.md): SandboxFs.write and read of the same file size, straight from Java
 * on the embedded platform, no SSH. Usage: bench/vm/stack.sh ../ssh/FsBaseline [mib=20] [runs=3]
 */
public class FsBaseline {
    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        byte[] content = new byte[mib << 20];
        new Random(1).nextBytes(content);
        try (Platform p = Platform.open(Path.of(System.getProperty("user.home"), ".msb", "kernel"))) {
            SandboxHandle box = p.create("fs-baseline", false);
            SandboxFs fs = box.fs();
            List<Double> writes = new ArrayList<>();
            List<Double> reads = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                fs.write("/tmp/baseline.bin", new ByteArrayInputStream(content), 0644);
                long t1 = System.nanoTime();
                byte[] back;
                try (InputStream in = fs.read("/tmp/baseline.bin")) {
                    back = in.readAllBytes();
                }
                long t2 = System.nanoTime();
                if (!Arrays.equals(content, back)) {
                    throw new AssertionError("read back differs");
                }
                writes.add(mbps(content.length, t1 - t0));
                reads.add(mbps(content.length, t2 - t1));
                System.out.printf("SandboxFs write %.1f MB/s, read %.1f MB/s%n", writes.get(i), reads.get(i));
            }
            writes.sort(null);
            reads.sort(null);
            System.out.printf("--- %d MiB, %d runs: SandboxFs write median %.1f MB/s, read median %.1f MB/s%n", mib, runs,
                    writes.get(runs / 2), reads.get(runs / 2));
        }
    }

    private static double mbps(long bytes, long nanos) {
        return bytes / 1e6 / (nanos / 1e9);
    }
}
