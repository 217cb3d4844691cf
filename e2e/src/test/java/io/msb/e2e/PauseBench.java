package io.msb.e2e;

import io.msb.api.SandboxHandle;
import io.msb.api.SandboxStatus;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;

/**
 * Pause and resume latency of one builtin:busybox sandbox (bench/pause/README.md): {@code cycles} pause/resume pairs
 * through the Java API (the runtime in an embedded Felix), then as many through the built server's HTTP API
 * ({@code POST …/pause|resume} by id, one connection). Prints p50/p99/max of each; never asserts.
 * Usage: bench/pause/run.sh [cycles=50] (the archive from {@code -Dmsb.e2e.distribution}).
 */
public final class PauseBench {
    private PauseBench() {
    }

    public static void main(String[] args) throws Exception {
        int cycles = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        System.out.println("load at start: " + Files.readString(Path.of("/proc/loadavg")).trim() + ", cpus "
                + Runtime.getRuntime().availableProcessors() + ", " + cycles + " cycles each");
        try (Platform p = Platform.open(Platform.kernelCache())) {
            SandboxHandle box = p.create("bench-pause", false);
            System.out.println("QEMU " + Platform.qemuArgs(box.info().currentRun().orElseThrow().pid())
                    + ", 1 vCPU, 256 MiB");
            measure("Java API", cycles, i -> require(box.pause().status() == SandboxStatus.PAUSED),
                    i -> require(box.resume().status() == SandboxStatus.RUNNING));
        }
        try (MsbServer server = MsbServer.startBuilt()) {
            HttpClient http = HttpClient.newHttpClient();
            String created = post(http, server, "/v1/sandboxes", "{\"name\":\"bench-pause\","
                    + "\"image\":{\"type\":\"oci\",\"reference\":\"builtin:busybox\"}}");
            String id = created.replaceAll("(?s).*\"id\"\\s*:\\s*\"([^\"]+)\".*", "$1");
            measure("HTTP", cycles, i -> require(post(http, server, "/v1/sandboxes/" + id + "/pause", "")
                    .contains("\"status\":\"paused\"")), i -> require(post(http, server, "/v1/sandboxes/" + id
                    + "/resume", "").contains("\"status\":\"running\"")));
        }
        System.out.println("load at end: " + Files.readString(Path.of("/proc/loadavg")).trim());
    }

    private static void measure(String via, int cycles, Consumer<Integer> pause, Consumer<Integer> resume) {
        for (int i = 0; i < 3; i++) { // warm-up, not counted
            pause.accept(i);
            resume.accept(i);
        }
        List<Double> paused = new ArrayList<>();
        List<Double> resumed = new ArrayList<>();
        for (int i = 0; i < cycles; i++) {
            long t0 = System.nanoTime();
            pause.accept(i);
            long t1 = System.nanoTime();
            resume.accept(i);
            long t2 = System.nanoTime();
            paused.add((t1 - t0) / 1e6);
            resumed.add((t2 - t1) / 1e6);
        }
        System.out.printf("%-8s pause  %s%n", via, summary(paused));
        System.out.printf("%-8s resume %s%n", via, summary(resumed));
    }

    private static String summary(List<Double> ms) {
        List<Double> s = new ArrayList<>(ms);
        Collections.sort(s);
        return String.format("n=%d p50 %.1f ms, p99 %.1f ms, min %.1f ms, max %.1f ms", s.size(), s.get(s.size() / 2),
                s.get(Math.min(s.size() - 1, (int) Math.ceil(s.size() * 0.99) - 1)), s.get(0), s.get(s.size() - 1));
    }

    private static String post(HttpClient http, MsbServer server, String path, String body) {
        try {
            HttpResponse<String> r = http.send(server.request("POST", path).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("POST " + path + ": " + r.statusCode() + " " + r.body());
            }
            return r.body();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void require(boolean ok) {
        if (!ok) {
            throw new IllegalStateException("unexpected status");
        }
    }
}
