package io.msb.itests;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A client of {@code GET /v1/sandboxes/{id}/agent} on the JDK's {@link WebSocket}, speaking the agent protocol the
 * way microsandbox's 0.6.18 SDK does over it: binary messages whose boundaries mean nothing, the relay's id range
 * and {@code core.ready} first, then frames {@code [len u32][id u32][flags u8][CBOR {v,t,p}]}. Carries its own tiny
 * CBOR so that bench/http/AgentSocketBench.java can use it with nothing but the JDK. Public for that bench.
 */
public final class AgentSocketClient implements AutoCloseable {
    public static final int TERMINAL = 1;
    public static final int SESSION_START = 2;
    private static final Duration WAIT = Duration.ofSeconds(60);

    /** A frame as received: its CBOR envelope decoded. */
    public record Frame(int id, int flags, String type, Map<String, Object> payload) {
    }

    /** The upgrade was refused: the HTTP status and the JSON error body the server sent. */
    public static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        public final int status;

        Refused(int status, String body) {
            super("HTTP " + status + ": " + body);
            this.status = status;
        }
    }

    private final Object lock = new Object();
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private int readAt;
    private final CompletableFuture<String> closed = new CompletableFuture<>();
    private WebSocket ws;
    private long idStart;
    private long idEnd;
    private int nextId;

    private AgentSocketClient() {
    }

    /** Opens the WebSocket with the bearer key (null: none) and reads the handshake. */
    public static AgentSocketClient open(HttpClient http, URI uri, String key) throws Exception {
        AgentSocketClient c = new AgentSocketClient();
        WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(WAIT);
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        try {
            c.ws = b.buildAsync(uri, c.listener()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException h) {
                Object body = h.getResponse().body();
                throw new Refused(h.getResponse().statusCode(), body == null ? "" : body.toString());
            }
            throw e;
        }
        ByteBuffer head = ByteBuffer.wrap(c.take(8));
        c.idStart = Integer.toUnsignedLong(head.getInt());
        c.idEnd = Integer.toUnsignedLong(head.getInt());
        c.nextId = (int) c.idStart;
        Frame ready = c.next();
        if (!ready.type().equals("core.ready")) {
            throw new IllegalStateException("expected core.ready first, got " + ready);
        }
        return c;
    }

    private WebSocket.Listener listener() {
        return new WebSocket.Listener() {
            @Override
            public void onOpen(WebSocket webSocket) {
                webSocket.request(Long.MAX_VALUE); // so pings are answered as long as this client lives
            }

            @Override
            public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
                byte[] bytes = new byte[data.remaining()];
                data.get(bytes);
                synchronized (lock) {
                    received.write(bytes, 0, bytes.length);
                    lock.notifyAll();
                }
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                closed.complete(statusCode + " " + reason);
                synchronized (lock) {
                    lock.notifyAll();
                }
                return null;
            }

            @Override
            public void onError(WebSocket webSocket, Throwable error) {
                closed.complete("error " + error);
                synchronized (lock) {
                    lock.notifyAll();
                }
            }
        };
    }

    public long idStart() {
        return idStart;
    }

    public long idEnd() {
        return idEnd;
    }

    /** A fresh correlation id of this connection's range. */
    public int newId() {
        return nextId++;
    }

    /** Completes with {@code "<code> <reason>"} when the server closes the WebSocket (or it fails). */
    public CompletableFuture<String> closed() {
        return closed;
    }

    /** Sends bytes as one binary message. */
    public void send(byte[] bytes) throws Exception {
        ws.sendBinary(ByteBuffer.wrap(bytes), true).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** Sends bytes as several binary messages, cut at {@code cuts} (message boundaries carry no meaning). */
    public void sendCut(byte[] bytes, int... cuts) throws Exception {
        int from = 0;
        for (int cut : cuts) {
            send(Arrays.copyOfRange(bytes, from, cut));
            from = cut;
        }
        send(Arrays.copyOfRange(bytes, from, bytes.length));
    }

    public void sendText(String text) throws Exception {
        ws.sendText(text, true).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** The next whole frame from the agent. */
    @SuppressWarnings("unchecked")
    public Frame next() throws TimeoutException, InterruptedException {
        ByteBuffer head = ByteBuffer.wrap(take(9));
        int length = head.getInt();
        int id = head.getInt();
        int flags = head.get() & 0xff;
        Map<String, Object> envelope = (Map<String, Object>) new Cbor(take(length - 5)).read();
        Object p = envelope.get("p");
        Map<String, Object> payload = p instanceof byte[] bytes ? (Map<String, Object>) new Cbor(bytes).read() : Map.of();
        return new Frame(id, flags, (String) envelope.get("t"), payload);
    }

    /** Pings the agent and waits for the pong. */
    public void ping() throws Exception {
        int id = newId();
        send(frame(id, 0, "core.ping", Map.of()));
        expect(id, "core.pong");
    }

    /** Runs {@code cmd args} as the SDK's exec does and returns its exit code. */
    public int exec(String cmd, String... args) throws Exception {
        int id = startExec(cmd, args);
        Frame end = expect(id, null);
        if (!end.type().equals("core.exec.exited")) {
            throw new IllegalStateException(cmd + " did not run: " + end);
        }
        return ((Number) end.payload().get("code")).intValue();
    }

    /** Sends the exec request of {@code cmd args} (the body the SDK sends) and returns its session id. */
    public int startExec(String cmd, String... args) throws Exception {
        int id = newId();
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("cmd", cmd);
        request.put("args", List.of(args));
        request.put("env", List.of());
        request.put("cwd", "/");
        request.put("user", null);
        request.put("tty", false);
        request.put("rows", 24);
        request.put("cols", 80);
        request.put("rlimits", List.of());
        send(frame(id, SESSION_START, "core.exec.request", request));
        return id;
    }

    /** Reads frames up to the terminal one of {@code id} (of {@code type} unless null). */
    public Frame expect(int id, String type) throws TimeoutException, InterruptedException {
        while (true) {
            Frame f = next();
            if (f.id() == id && (f.flags() & TERMINAL) != 0) {
                if (type != null && !f.type().equals(type)) {
                    throw new IllegalStateException("expected " + type + ", got " + f);
                }
                return f;
            }
        }
    }

    private byte[] take(int n) throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        synchronized (lock) {
            while (received.size() - readAt < n) {
                if (closed.isDone()) {
                    throw new IllegalStateException("the WebSocket closed (" + closed.join() + ") with "
                            + (received.size() - readAt) + " of " + n + " bytes");
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new TimeoutException("no " + n + " bytes within " + WAIT);
                }
                lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
            byte[] all = received.toByteArray();
            byte[] out = Arrays.copyOfRange(all, readAt, readAt + n);
            readAt += n;
            if (readAt == all.length) {
                received.reset();
                readAt = 0;
            }
            return out;
        }
    }

    /** Closes the WebSocket as a well-behaved client does. */
    @Override
    public void close() {
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "").exceptionally(x -> null);
    }

    /** Drops the TCP connection without a Close frame. */
    public void abort() {
        ws.abort();
    }

    /** A whole frame: {@code [len][id][flags]} and the CBOR envelope {@code {v:7, t, p}}. */
    public static byte[] frame(int id, int flags, String type, Map<String, ?> payload) {
        Map<String, Object> envelope = new LinkedHashMap<>();
        envelope.put("v", 7);
        envelope.put("t", type);
        envelope.put("p", Cbor.encode(payload));
        byte[] body = Cbor.encode(envelope);
        return ByteBuffer.allocate(9 + body.length).putInt(5 + body.length).putInt(id).put((byte) flags).put(body)
                .array();
    }

    /** Just the CBOR the agent protocol needs: unsigned ints, strings, bytes, arrays, maps, booleans, null. */
    static final class Cbor {
        private final ByteBuffer in;

        Cbor(byte[] bytes) {
            this.in = ByteBuffer.wrap(bytes);
        }

        static byte[] encode(Object value) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            write(out, value);
            return out.toByteArray();
        }

        private static void write(ByteArrayOutputStream out, Object v) {
            if (v == null) {
                out.write(0xf6);
            } else if (v instanceof Boolean b) {
                out.write(b ? 0xf5 : 0xf4);
            } else if (v instanceof Number n) {
                head(out, 0, n.longValue());
            } else if (v instanceof String s) {
                byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
                head(out, 3, utf8.length);
                out.writeBytes(utf8);
            } else if (v instanceof byte[] bytes) {
                head(out, 2, bytes.length);
                out.writeBytes(bytes);
            } else if (v instanceof List<?> list) {
                head(out, 4, list.size());
                list.forEach(e -> write(out, e));
            } else if (v instanceof Map<?, ?> map) {
                head(out, 5, map.size());
                map.forEach((k, e) -> {
                    write(out, k);
                    write(out, e);
                });
            } else {
                throw new IllegalArgumentException("no CBOR for " + v.getClass());
            }
        }

        private static void head(ByteArrayOutputStream out, int major, long n) {
            if (n < 24) {
                out.write(major << 5 | (int) n);
            } else if (n < 0x100) {
                out.write(major << 5 | 24);
                out.write((int) n);
            } else if (n < 0x10000) {
                out.write(major << 5 | 25);
                out.writeBytes(ByteBuffer.allocate(2).putShort((short) n).array());
            } else {
                out.write(major << 5 | 26);
                out.writeBytes(ByteBuffer.allocate(4).putInt((int) n).array());
            }
        }

        Object read() {
            int b = in.get() & 0xff;
            int major = b >>> 5;
            int info = b & 0x1f;
            if (major == 7) {
                return switch (info) {
                    case 20 -> false;
                    case 21 -> true;
                    case 22, 23 -> null;
                    default -> throw new IllegalArgumentException("CBOR simple/float " + info);
                };
            }
            long n = switch (info) {
                case 24 -> in.get() & 0xffL;
                case 25 -> in.getShort() & 0xffffL;
                case 26 -> in.getInt() & 0xffffffffL;
                case 27 -> in.getLong();
                default -> info < 24 ? info : -1;
            };
            if (n < 0) {
                throw new IllegalArgumentException("CBOR length form " + info + " not supported");
            }
            switch (major) {
                case 0:
                    return n;
                case 1:
                    return -1 - n;
                case 2:
                case 3: {
                    byte[] bytes = new byte[(int) n];
                    in.get(bytes);
                    return major == 2 ? bytes : new String(bytes, StandardCharsets.UTF_8);
                }
                case 4: {
                    List<Object> list = new ArrayList<>();
                    for (long i = 0; i < n; i++) {
                        list.add(read());
                    }
                    return list;
                }
                case 5: {
                    Map<String, Object> map = new LinkedHashMap<>();
                    for (long i = 0; i < n; i++) {
                        map.put(String.valueOf(read()), read());
                    }
                    return map;
                }
                default:
                    throw new IllegalArgumentException("CBOR major type " + major + " not supported");
            }
        }
    }
}
