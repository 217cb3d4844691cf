package io.msb.e2e;

import io.msb.api.image.ImageReference;
import io.msb.api.LabelSelector;
import io.msb.api.RunInfo;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxStatus;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Kill -9 of the host process, checked from outside: each {@link #iteration} runs {@link CrashWorkload} in its own
 * JVM on one MSB_HOME, SIGKILLs it at a random moment, restarts the platform on the same home and compares the store
 * with the processes and with every change the workload acknowledged. Shared by CrashRecoveryIT (a few iterations,
 * asserting) and bench/soak (many, printing the figures).
 */
public final class CrashLoop implements AutoCloseable {
    /** What the store must show for a name after the restart, from the acknowledged changes. */
    private enum Expect { ABSENT, PRESENT, STOPPED, RUNNING, UNKNOWN }

    /** One iteration's figures; the lists name each problem found. */
    public record Figures(int iteration, long killAfterMillis, int acked, int inFlight, int records, int running,
            List<String> orphans, List<String> lostWrites, List<String> mismatches, long restartMillis) {
        public boolean clean() {
            return orphans.isEmpty() && lostWrites.isEmpty() && mismatches.isEmpty();
        }

        @Override
        public String toString() {
            return "iteration %d: killed after %d ms, %d acked, %d in flight, %d records (%d running), orphans %d, lost writes %d, status mismatches %d, restart+recovery %d ms%s"
                    .formatted(iteration, killAfterMillis, acked, inFlight, records, running, orphans.size(),
                            lostWrites.size(), mismatches.size(), restartMillis,
                            clean() ? "" : " " + orphans + " " + lostWrites + " " + mismatches);
        }
    }

    private final Path home;
    private final Random random;
    private final long maxKillMillis;
    /** Every name the workload can use: absent unless an acknowledged change or a check says otherwise. */
    private final Map<String, Expect> known = new HashMap<>();

    private CrashLoop(Path home, long seed, long maxKillMillis) {
        this.home = home;
        this.random = new Random(seed);
        this.maxKillMillis = maxKillMillis;
        for (int w = 0; w < CrashWorkload.WORKERS; w++) {
            for (int k = 0; k < CrashWorkload.NAMES_PER_WORKER; k++) {
                known.put(CrashWorkload.name(w, k), Expect.ABSENT);
            }
        }
    }

    /** A new home (kernel from the shared cache, builtin:busybox built once); kills land within maxKillMillis. */
    public static CrashLoop open(long seed, long maxKillMillis) {
        Platform platform = Platform.open(Platform.kernelCache());
        try {
            platform.images().pull(ImageReference.parse(Platform.IMAGE), io.msb.api.PullPolicy.IF_MISSING, e -> { });
        } finally {
            platform.release();
        }
        return new CrashLoop(platform.home, seed, maxKillMillis);
    }

    public Path home() {
        return home;
    }

    public Figures iteration(int n) throws Exception {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        Path childLog = home.resolveSibling(home.getFileName() + ".child-" + n + ".log");
        Process child = new ProcessBuilder(javaCommand(), "-cp", System.getProperty("java.class.path"),
                CrashWorkload.class.getName(), home.toString(), Long.toString(random.nextLong()))
                .redirectError(childLog.toFile()).start();
        long killAfter;
        try {
            Thread reader = new Thread(() -> read(child, log), "crash-child-stdout");
            reader.start();
            Platform.await("the workload to start (log " + childLog + ")", () -> log.contains("READY") || !child.isAlive());
            if (!child.isAlive()) {
                throw new IllegalStateException("the workload exited: " + Files.readString(childLog));
            }
            killAfter = 500 + (long) (random.nextDouble() * (maxKillMillis - 500));
            Thread.sleep(killAfter); // a random moment, not a time assertion
        } finally {
            child.destroyForcibly(); // SIGKILL
            child.waitFor(60, TimeUnit.SECONDS);
        }
        // VMs attached to the dead JVM are being killed by their launchers now: let that settle first.
        Platform.await("attached launchers of " + home + " to exit", () -> launchers(home, "attached").isEmpty());
        Thread.sleep(200); // the reader drains what the dead process wrote
        List<String> acked;
        synchronized (log) {
            acked = List.copyOf(log);
        }
        Map<String, Expect> expected = expectations(acked);

        long t0 = System.nanoTime();
        Platform platform = Platform.on(home);
        long restartMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        try {
            return check(n, platform, expected, killAfter, acked, restartMillis);
        } finally {
            platform.release();
        }
    }

    private static void read(Process child, List<String> log) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null;) {
                log.add(line);
            }
        } catch (IOException e) {
            // the child is dead: what it wrote before is in the list
        }
    }

    /** Applies the workload's log to what the last check saw; a name with an operation in flight may be either way. */
    private Map<String, Expect> expectations(List<String> lines) {
        Map<String, Expect> expect = new HashMap<>(known);
        for (String line : lines) {
            String[] f = line.split(" ", 5);
            if (f.length < 4 || !expect.containsKey(f[2])) {
                continue;
            }
            String op = f[1];
            boolean detached = Boolean.parseBoolean(f[3]);
            Expect e = switch (f[0]) {
                case "BEGIN" -> Expect.UNKNOWN;
                case "ACK" -> switch (op) {
                    case "create", "start" -> detached ? Expect.RUNNING : Expect.PRESENT; // attached VMs died with it
                    case "stop" -> Expect.STOPPED;
                    default -> Expect.ABSENT;
                };
                // a failed create leaves nothing (decision 0013); other failures may have happened half-way
                default -> op.equals("create") ? Expect.ABSENT : Expect.UNKNOWN;
            };
            expect.put(f[2], e);
        }
        return expect;
    }

    /** What the runtime and the backend knew of an orphan's sandbox: its record's run and its vm.properties. */
    private String stateOf(String arg, Map<String, SandboxInfo> records) {
        String rest = arg.substring(arg.indexOf(home + "/sandboxes/") + (home + "/sandboxes/").length());
        String name = rest.contains("/") ? rest.substring(0, rest.indexOf('/')) : rest;
        Path state = home.resolve("sandboxes").resolve(name).resolve("vm.properties");
        String vmState;
        try {
            vmState = Files.exists(state) ? Files.readString(state).replace('\n', ' ') : "no vm.properties";
        } catch (IOException e) {
            vmState = e.toString();
        }
        SandboxInfo info = records.get(name);
        return "[record " + (info == null ? "none" : info.status() + " run " + info.currentRun().orElse(null))
                + "; " + vmState + "]";
    }

    private Figures check(int n, Platform platform, Map<String, Expect> expected, long killAfter, List<String> log,
            long restartMillis) throws Exception {
        List<String> orphans = new ArrayList<>();
        List<String> lost = new ArrayList<>();
        List<String> mismatches = new ArrayList<>();
        Map<String, SandboxInfo> records = platform.runtime().list(LabelSelector.ALL).stream()
                .collect(Collectors.toMap(SandboxInfo::name, i -> i));

        // every record's status against its process, and the agent of each one that should run
        for (SandboxInfo info : records.values()) {
            String name = info.name();
            SandboxStatus status = info.status();
            Optional<RunInfo> run = info.currentRun().filter(RunInfo::running);
            if (status == SandboxStatus.CREATED || status == SandboxStatus.STARTING) {
                mismatches.add(name + " still " + status + " after recovery");
            } else if (status.expectsLiveVm()) {
                if (run.isEmpty() || !qemuOf(home, name).contains(run.get().pid())) {
                    mismatches.add(name + " is " + status + " but its run's pid is not its QEMU: " + run);
                } else if (!agentAnswers(platform, name)) {
                    // a VM killed just now (attached to the dead JVM) is fine if the runtime has seen it go
                    SandboxStatus now = platform.runtime().get(name).map(SandboxInfo::status).orElse(null);
                    if (now != null && now.expectsLiveVm() || !qemuOf(home, name).isEmpty()) {
                        mismatches.add(name + " is " + status + " but its agent does not answer (now " + now + ")");
                    }
                }
            } else if (!qemuOf(home, name).isEmpty()) {
                mismatches.add(name + " is " + status + " but QEMU " + qemuOf(home, name) + " runs for it");
            }
        }
        // every QEMU of this home belongs to a record that says it runs (one dying on its own may take a moment)
        Set<Long> accounted = records.values().stream().filter(i -> i.status().expectsLiveVm())
                .flatMap(i -> i.currentRun().filter(RunInfo::running).stream()).map(RunInfo::pid)
                .collect(Collectors.toSet());
        for (long pid : qemuOf(home, null)) {
            if (!accounted.contains(pid)) {
                try {
                    Platform.await("unrecorded QEMU " + pid + " to exit", () -> !Files.exists(Path.of("/proc/" + pid)));
                } catch (AssertionError stillThere) {
                    String arg = cmdline(pid).stream().filter(a -> a.contains(home + "/sandboxes/")).findFirst()
                            .orElse("?");
                    orphans.add("QEMU " + pid + ": " + arg + " " + stateOf(arg, records));
                    // gone before the next iteration, so one finding does not repeat as many
                    new ProcessBuilder("kill", "-9", Long.toString(pid)).start().waitFor();
                }
            }
        }
        // every acknowledged change is there
        for (Map.Entry<String, Expect> e : expected.entrySet()) {
            SandboxInfo info = records.get(e.getKey());
            String problem = switch (e.getValue()) {
                case ABSENT -> info != null ? "present (" + info.status() + ")" : null;
                case PRESENT -> info == null ? "missing" : null;
                case STOPPED -> info == null ? "missing" : info.status().expectsLiveVm() ? "running" : null;
                case RUNNING -> info == null ? "missing"
                        : info.status() != SandboxStatus.RUNNING ? "detached VM not running (" + info.status() + ")" : null;
                case UNKNOWN -> null;
            };
            if (problem != null) {
                lost.add(e.getKey() + " expected " + e.getValue() + ": " + problem);
            }
            known.put(e.getKey(), info == null ? Expect.ABSENT
                    : info.status() == SandboxStatus.RUNNING ? Expect.RUNNING : Expect.PRESENT);
        }
        // no directory without a record, no half-deleted tree
        Path sandboxes = home.resolve("sandboxes");
        if (Files.isDirectory(sandboxes)) {
            try (Stream<Path> dirs = Files.list(sandboxes)) {
                dirs.map(d -> d.getFileName().toString()).filter(d -> !records.containsKey(d))
                        .forEach(d -> mismatches.add("directory sandboxes/" + d + " without a record"));
            }
        }
        int running = (int) records.values().stream().filter(i -> i.status() == SandboxStatus.RUNNING).count();
        int acked = (int) log.stream().filter(l -> l.startsWith("ACK ")).count();
        int inFlight = (int) expected.values().stream().filter(x -> x == Expect.UNKNOWN).count();
        return new Figures(n, killAfter, acked, inFlight, records.size(), running, orphans, lost, mismatches,
                restartMillis);
    }

    private static boolean agentAnswers(Platform platform, String name) {
        try {
            return Platform.sh(platform.runtime().handle(name), "echo ok").stdoutText().equals("ok\n");
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Removes every sandbox through a restarted platform and returns the QEMU processes of this home still alive
     * afterwards (none, if remove acts on the real processes); then deletes the home.
     */
    public List<Long> cleanUp() {
        Platform platform = Platform.on(home);
        List<Long> left;
        try {
            for (SandboxInfo info : platform.runtime().list(LabelSelector.ALL)) {
                platform.runtime().remove(info.name(), true);
            }
            left = qemuOf(home, null);
        } finally {
            platform.close(); // deletes the home
        }
        return left;
    }

    @Override
    public void close() {
        for (long pid : qemuOf(home, null)) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        if (Files.exists(home)) {
            Platform.on(home).close();
        }
        try (Stream<Path> logs = Files.list(home.getParent())) {
            for (Path log : logs.filter(p -> p.getFileName().toString().startsWith(home.getFileName() + ".child-")).toList()) {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            System.err.println("cannot remove the workload logs of " + home + ": " + e);
        }
    }

    /** Live QEMU processes whose command line points into this home's sandboxes (of one sandbox, or all if null). */
    static List<Long> qemuOf(Path home, String sandbox) {
        String dir = home.resolve("sandboxes") + "/" + (sandbox == null ? "" : sandbox + "/");
        return ProcessHandle.allProcesses().map(ProcessHandle::pid)
                .filter(pid -> comm(pid).startsWith("qemu-system"))
                .filter(pid -> cmdline(pid).stream().anyMatch(a -> a.contains(dir))).toList();
    }

    /** VM launchers ({@code sh -c LAUNCHER msb-vm <mode> <console fifo> …}) of this home in the given mode. */
    static List<Long> launchers(Path home, String mode) {
        String dir = home.resolve("sandboxes") + "/";
        return ProcessHandle.allProcesses().map(ProcessHandle::pid).filter(pid -> {
            List<String> args = cmdline(pid);
            int i = args.indexOf("msb-vm");
            return i >= 0 && i + 2 < args.size() && args.get(i + 1).equals(mode) && args.get(i + 2).startsWith(dir);
        }).toList();
    }

    private static String comm(long pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/comm")).trim();
        } catch (IOException e) {
            return "";
        }
    }

    private static List<String> cmdline(long pid) {
        try {
            return List.of(new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8)
                    .split("\0"));
        } catch (IOException e) {
            return List.of();
        }
    }

    private static String javaCommand() {
        return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString());
    }
}
