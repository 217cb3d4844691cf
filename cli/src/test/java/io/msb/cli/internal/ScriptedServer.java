package io.msb.cli.internal;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A loopback stand-in for the msb server: each {@code "METHOD /path?query"} answers the replies queued for it in
 * order (the last one again once the queue is down to it), anything else 404; every request is recorded.
 */
final class ScriptedServer implements AutoCloseable {
    record Request(String line, String body) {
    }

    /** {@code until}: the answer waits for it (null: answers at once). */
    private record Reply(int status, String body, CountDownLatch until) {
    }

    private final HttpServer http;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final Map<String, Deque<Reply>> replies = new HashMap<>();
    final List<Request> requests = new ArrayList<>();

    ScriptedServer() throws IOException {
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/", exchange -> {
            String line = exchange.getRequestMethod() + " " + exchange.getRequestURI();
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Reply reply;
            synchronized (this) {
                requests.add(new Request(line, body));
                Deque<Reply> queue = replies.get(line);
                reply = queue == null ? new Reply(404, "{\"error\":{\"code\":\"not_found\",\"message\":\"no route " + line
                    + "\"}}", null) : queue.size() > 1 ? queue.poll() : queue.peek();
            }
            if (reply.until != null) {
                try {
                    reply.until.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] bytes = reply.body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(reply.status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        http.setExecutor(threads); // a held answer does not hold up the others
        http.start();
    }

    ScriptedServer on(String line, int status, String body) {
        return hold(line, null, status, body);
    }

    /** Like {@link #on}, but the answer is sent only once {@code until} is released. */
    synchronized ScriptedServer hold(String line, CountDownLatch until, int status, String body) {
        replies.computeIfAbsent(line, k -> new ArrayDeque<>()).add(new Reply(status, body, until));
        return this;
    }

    /** A sandbox object with this status, as GET by-name answers it. */
    static String sandbox(String name, String status) {
        return "{\"name\":\"" + name + "\",\"status\":\"" + status + "\"}";
    }

    synchronized List<String> lines() {
        return requests.stream().map(Request::line).toList();
    }

    String url() {
        return "http://127.0.0.1:" + http.getAddress().getPort();
    }

    @Override
    public void close() {
        http.stop(0);
        threads.shutdownNow();
    }
}
