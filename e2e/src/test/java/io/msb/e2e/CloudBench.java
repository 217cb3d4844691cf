package io.msb.e2e;

import static io.msb.e2e.SnapshotBench.print;
import static io.msb.e2e.SnapshotBench.time;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The cloud backend's cost (bench/cloud/README.md): two built servers, A configured with B as its cloud remote.
 * {@code execs} times {@code true} in one sandbox through B's HTTP API directly, then in a sandbox A placed on B
 * through A's API (each an NDJSON exec read to its end); then {@code creates} times create→first exec output on B
 * directly and through A. Prints p50/p99/min/max; never asserts. Usage: bench/cloud/run.sh [execs=100] [creates=5].
 */
public final class CloudBench {
    private static final String EXEC = "{\"cmd\":[\"echo\",\"hi\"]}";

    private CloudBench() {
    }

    public static void main(String[] args) throws Exception {
        int execs = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int creates = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        System.out.println("load at start: " + Files.readString(Path.of("/proc/loadavg")).trim() + ", cpus "
                + Runtime.getRuntime().availableProcessors());
        try (MsbServer b = MsbServer.startBuilt();
                MsbServer a = MsbServer.startBuilt(Map.of("io.msb.backend.cloud.cfg", "url = " + b.url
                        + "\n.apiKey = " + b.apiKey + "\n"))) {
            Thread.sleep(3000); // A's first health check of B
            call(b, "POST", "/v1/sandboxes", create("bench-direct", false));
            call(a, "POST", "/v1/sandboxes", create("bench-cloud", true));
            print("exec round trip on B directly", execs(b, "bench-direct", execs));
            print("exec round trip through A (cloud)", execs(a, "bench-cloud", execs));
            call(b, "DELETE", "/v1/sandboxes/by-name/bench-direct", null);
            call(a, "DELETE", "/v1/sandboxes/by-name/bench-cloud", null);
            print("create to first exec on B directly", createToExec(b, false, creates));
            print("create to first exec through A (cloud)", createToExec(a, true, creates));
        }
        System.out.println("load at end: " + Files.readString(Path.of("/proc/loadavg")).trim());
    }

    private static List<Double> execs(MsbServer server, String name, int n) throws Exception {
        for (int i = 0; i < 5; i++) { // warm-up, not counted
            exec(server, name);
        }
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ms.add(time(() -> exec(server, name)));
        }
        return ms;
    }

    private static List<Double> createToExec(MsbServer server, boolean cloud, int n) throws Exception {
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String name = "bench-create-" + i;
            ms.add(time(() -> {
                call(server, "POST", "/v1/sandboxes", create(name, cloud));
                exec(server, name);
            }));
            call(server, "DELETE", "/v1/sandboxes/by-name/" + name, null);
        }
        return ms;
    }

    private static void exec(MsbServer server, String name) throws Exception {
        String out = call(server, "POST", "/v1/sandboxes/by-name/" + name + "/exec", EXEC);
        if (!out.contains("\"type\":\"exit\",\"code\":0")) {
            throw new IllegalStateException("exec in " + name + ": " + out);
        }
    }

    private static String create(String name, boolean cloud) {
        return "{\"name\":\"" + name + "\",\"image\":{\"type\":\"oci\",\"reference\":\"builtin:busybox\"}"
                + (cloud ? ",\"backend\":\"cloud\"" : "") + "}";
    }

    private static String call(MsbServer server, String method, String path, String json) throws Exception {
        HttpResponse<String> r = server.api(method, path, json);
        if (r.statusCode() != 200) {
            throw new IllegalStateException(method + " " + path + ": " + r.statusCode() + " " + r.body());
        }
        return r.body();
    }
}
