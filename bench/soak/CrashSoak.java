import io.msb.e2e.CrashLoop;
import java.util.ArrayList;
import java.util.List;

/**
 * kill -9 soak: CrashLoop's iterations (see e2e's CrashRecoveryIT and decision 0014) many times on one home, printing
 * each iteration's figures and carrying on after a problem; totals at the end. Args: [iterations=20]
 * [max-kill-ms=30000] [seed].
 */
public class CrashSoak {
    public static void main(String[] args) throws Exception {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        long maxKill = args.length > 1 ? Long.parseLong(args[1]) : 30_000;
        long seed = args.length > 2 ? Long.parseLong(args[2]) : System.nanoTime();
        System.out.println("seed " + seed + ", " + iterations + " iterations, kills within " + maxKill + " ms");
        List<CrashLoop.Figures> all = new ArrayList<>();
        try (CrashLoop loop = CrashLoop.open(seed, maxKill)) {
            System.out.println("home " + loop.home());
            for (int i = 1; i <= iterations; i++) {
                CrashLoop.Figures f = loop.iteration(i);
                all.add(f);
                System.out.println(f);
            }
            List<Long> left = loop.cleanUp();
            System.out.println("after removing everything: " + left.size() + " QEMU processes of the home left " + left);
        }
        long restart = all.stream().mapToLong(CrashLoop.Figures::restartMillis).sorted().skip(all.size() / 2).findFirst().orElse(0);
        System.out.printf("total: %d iterations, %d acked changes, %d orphans, %d lost writes, %d status mismatches,"
                + " restart+recovery median %d ms, max %d ms%n", all.size(),
                all.stream().mapToInt(CrashLoop.Figures::acked).sum(),
                all.stream().mapToInt(f -> f.orphans().size()).sum(),
                all.stream().mapToInt(f -> f.lostWrites().size()).sum(),
                all.stream().mapToInt(f -> f.mismatches().size()).sum(), restart,
                all.stream().mapToLong(CrashLoop.Figures::restartMillis).max().orElse(0));
    }
}
