package io.msb.protocol.internal;

import io.msb.api.MsbException;
import io.msb.api.TcpStream;
import io.msb.protocol.AgentTimeoutException;
import io.msb.protocol.Core;
import io.msb.protocol.Message;
import io.msb.protocol.MessageType;
import io.msb.protocol.ProtocolException;
import io.msb.protocol.Tcp;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A TCP stream opened by the agent inside the guest; closing the output half-closes it. */
public final class AgentTcpStream extends Session implements TcpStream {
    static final int CHUNK = 256 * 1024;
    private final Mux mux;
    private final ChunkQueue in;
    private final CompletableFuture<Void> connected = new CompletableFuture<>();
    private volatile boolean outputClosed;
    private volatile boolean closed;
    private final OutputStream out = new OutputStream() {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] { (byte) b }, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (outputClosed) {
                throw new IOException("tcp: output is closed");
            }
            try {
                for (int o = off; o < off + len; o += CHUNK) {
                    int n = Math.min(CHUNK, off + len - o);
                    mux.send(MessageType.TCP_DATA, id, new Tcp.Data(Arrays.copyOfRange(b, o, o + n)));
                }
            } catch (MsbException e) {
                throw new IOException("tcp: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() throws IOException {
            if (!outputClosed) {
                outputClosed = true;
                try {
                    mux.send(MessageType.TCP_EOF, id, new Tcp.Eof());
                } catch (MsbException e) {
                    throw new IOException("tcp: " + e.getMessage(), e);
                }
            }
        }
    };

    private AgentTcpStream(Mux mux, long bufferBytes) {
        this.mux = mux;
        this.in = new ChunkQueue(mux, this, bufferBytes);
    }

    /** @param bufferBytes received bytes buffered before the agent is asked to pause the stream */
    public static AgentTcpStream connect(Mux mux, String host, int port, Duration timeout, long bufferBytes) {
        Tcp.Connect request = new Tcp.Connect(host, port);
        AgentTcpStream s = new AgentTcpStream(mux, bufferBytes);
        int id = mux.register(s);
        try {
            mux.send(MessageType.TCP_CONNECT, id, request);
            s.connected.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return s;
        } catch (TimeoutException e) {
            s.close();
            throw new AgentTimeoutException("tcp connect " + host + ":" + port + ": no answer within " + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            s.close();
            throw new AgentTimeoutException("tcp connect " + host + ":" + port + ": interrupted");
        } catch (ExecutionException e) {
            throw Sessions.rethrow(e.getCause());
        } catch (RuntimeException e) {
            mux.unregister(s);
            throw e;
        }
    }

    @Override
    protected void onMessage(MessageType type, Message m) {
        switch (type) {
        case TCP_CONNECTED -> connected.complete(null);
        case TCP_DATA -> in.push(m.payload(Tcp.Data.class).data());
        case TCP_EOF -> in.end();
        case TCP_CLOSED -> {
            in.end();
            outputClosed = true;
        }
        case TCP_FAILED -> {
            String error = m.payload(Tcp.Failed.class).error();
            MsbException e = new MsbException("tcp: " + error);
            if (!connected.completeExceptionally(e)) {
                in.fail(new IOException("tcp: " + error));
            }
            outputClosed = true;
        }
        default -> throw new ProtocolException(Core.ErrorKind.INVALID_SESSION, type.wire() + " in a tcp stream");
        }
    }

    @Override
    protected void onFailure(RuntimeException cause) {
        outputClosed = true;
        if (!connected.completeExceptionally(cause)) {
            in.fail(new IOException("tcp: " + cause.getMessage(), cause));
        }
    }

    @Override
    public InputStream input() {
        return in;
    }

    @Override
    public OutputStream output() {
        return out;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        in.close();
        if (mux.isOpen()) {
            try {
                mux.send(MessageType.TCP_CLOSE, id, new Tcp.Close());
            } catch (MsbException ignored) {
                // the connection went away: nothing left to close
            }
        }
    }
}
