package io.msb.e2e;

import io.msb.api.SandboxInfo;
import io.msb.api.SandboxService;
import io.msb.api.SandboxSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;

/**
 * The process {@link CrashLoop} kills: the platform on an existing home, and concurrent workers that create (attached
 * or detached), start, stop and remove their own sandboxes until SIGKILL. Each worker owns its names, so at most one
 * operation per name is in flight. Every operation is announced on stdout before it starts ({@code BEGIN}) and
 * again once it returned ({@code ACK}) or failed ({@code FAIL}); a line written to the pipe survives the kill.
 * <p>
 * Usage: {@code CrashWorkload <home> <seed>}; prints {@code READY} once the platform has recovered the home.
 */
public final class CrashWorkload {
    static final int WORKERS = 3;
    static final int NAMES_PER_WORKER = 2;

    private CrashWorkload() {
    }

    public static void main(String[] args) {
        Platform platform = Platform.on(Path.of(args[0]));
        long seed = Long.parseLong(args[1]);
        say("READY");
        for (int w = 0; w < WORKERS; w++) {
            int worker = w;
            Thread t = new Thread(() -> work(platform.runtime(), worker, new Random(seed * 31 + worker)), "worker-" + w);
            t.start();
        }
    }

    static String name(int worker, int k) {
        return "cr-" + worker + "-" + k;
    }

    private static void work(SandboxService runtime, int worker, Random random) {
        while (true) {
            String name = name(worker, random.nextInt(NAMES_PER_WORKER));
            Optional<SandboxInfo> info;
            try {
                info = runtime.get(name);
            } catch (RuntimeException e) {
                say("FAIL get " + name + " " + oneLine(e));
                continue;
            }
            String op;
            boolean detached;
            if (info.isEmpty()) {
                op = "create";
                detached = random.nextBoolean();
            } else {
                detached = info.get().spec().detached();
                boolean live = info.get().status().expectsLiveVm();
                op = live ? (random.nextBoolean() ? "stop" : "remove") : (random.nextBoolean() ? "start" : "remove");
            }
            String line = op + " " + name + " " + detached;
            say("BEGIN " + line);
            try {
                switch (op) {
                    case "create" -> runtime.create(SandboxSpec.builder(name).image(Platform.IMAGE).cpus(1).memoryMib(128)
                            .detached(detached).build());
                    case "start" -> runtime.start(name);
                    case "stop" -> runtime.stop(name, Duration.ofSeconds(10));
                    default -> runtime.remove(name, true);
                }
                say("ACK " + line);
            } catch (RuntimeException | Error e) { // an Error too: a worker that dies silently would stop the log
                say("FAIL " + line + " " + oneLine(e));
            }
        }
    }

    private static String oneLine(Throwable e) {
        return String.valueOf(e).replace('\n', ' ');
    }

    private static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
