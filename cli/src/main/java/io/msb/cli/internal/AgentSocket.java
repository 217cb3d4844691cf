package io.msb.cli.internal;

import io.msb.protocol.AgentTransport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A sandbox's agent WebSocket ({@code GET /v1/sandboxes/{id}/agent}, decision 1016) as the byte pipe
 * {@link io.msb.protocol.AgentClient} talks over (decision 1030). Binary messages in become an input stream with
 * backpressure: the next message is requested only once the reader has taken the previous one, so a reader that
 * does not keep up holds one message here and the server stops sending. Writes become binary messages, each sent
 * before the next starts; a flush sends what was written.
 */
final class AgentSocket implements WebSocket.Listener {
    /** Written bytes are sent once this many are buffered, even before a flush. */
    static final int SEND_CHUNK = 64 << 10;
    /** How long a close waits for the Close handshake before dropping the connection. */
    private static final long CLOSE_WAIT_MILLIS = 1000;

    private final Object lock = new Object();
    /** The received message the reader has not consumed yet (guarded by lock). */
    private ByteBuffer received;
    private boolean ended;
    private IOException failure;
    private WebSocket socket;

    private AgentSocket() {
    }

    /** Connects to {@code path} of the server (e.g. {@code /v1/sandboxes/<id>/agent}). */
    static AgentTransport open(ApiClient api, String path) {
        AgentSocket pipe = new AgentSocket();
        WebSocket ws = api.webSocket(path, pipe);
        return AgentTransport.of(pipe.new Input(), pipe.new Output(ws), pipe::close);
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        synchronized (lock) {
            socket = webSocket;
        }
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        // The JDK may reuse data once this returns: copy it. It is one network read, so bounded by the JDK.
        if (!data.hasRemaining()) {
            webSocket.request(1);
            return null;
        }
        ByteBuffer copy = ByteBuffer.allocate(data.remaining()).put(data).flip();
        synchronized (lock) {
            received = copy;
            lock.notifyAll();
        }
        return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        webSocket.request(1); // the agent channel carries no text; the server sends none
        return null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
        webSocket.request(1); // the JDK answers the pong; keep the one-message demand
        return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        end(null);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        end(new IOException("the agent WebSocket failed: " + error.getMessage(), error));
    }

    private void end(IOException cause) {
        synchronized (lock) {
            if (!ended) {
                ended = true;
                failure = cause;
            }
            lock.notifyAll();
        }
    }

    /** Ends both directions: a blocked reader sees the end of the stream. */
    private void close() {
        WebSocket ws;
        synchronized (lock) {
            ws = socket;
        }
        end(null);
        if (ws != null && !ws.isOutputClosed()) {
            try {
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | java.util.concurrent.TimeoutException | IllegalStateException e) {
                // the server is gone or a send is under way: abort below is enough
            }
        }
        if (ws != null) {
            ws.abort();
        }
    }

    private final class Input extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            WebSocket more;
            int n;
            synchronized (lock) {
                while (received == null && !ended) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted while reading the agent WebSocket");
                    }
                }
                if (received == null) {
                    if (failure != null) {
                        throw failure;
                    }
                    return -1;
                }
                n = Math.min(len, received.remaining());
                received.get(b, off, n);
                more = received.hasRemaining() ? null : socket;
                if (more != null) {
                    received = null;
                }
            }
            if (more != null) {
                more.request(1);
            }
            return n;
        }
    }

    private final class Output extends OutputStream {
        private final WebSocket ws;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

        Output(WebSocket ws) {
            this.ws = ws;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            pending.write(b, off, len);
            if (pending.size() >= SEND_CHUNK) {
                flush();
            }
        }

        @Override
        public synchronized void flush() throws IOException {
            if (pending.size() == 0) {
                return;
            }
            ByteBuffer message = ByteBuffer.wrap(pending.toByteArray());
            pending.reset();
            try {
                ws.sendBinary(message, true).get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while writing to the agent WebSocket");
            } catch (ExecutionException | IllegalStateException e) {
                Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                throw new IOException("the agent WebSocket failed: " + cause.getMessage(), cause);
            }
        }
    }
}
