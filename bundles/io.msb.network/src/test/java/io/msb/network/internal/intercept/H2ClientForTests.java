package io.msb.network.internal.intercept;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A raw HTTP/2 client for interception tests over an already negotiated TLS socket: frames are written with Netty's
 * frame writer (or by hand, to split a header block where a test wants), the server's read on a thread with Netty's
 * frame reader; each stream's answer is collected.
 */
final class H2ClientForTests implements AutoCloseable {
    /** One stream's answer: status (null if none), the x-msb-refusal header, body, RST_STREAM code (-1 if none). */
    record Answer(String status, String refusal, String body, long reset) {
    }

    private final Socket socket;
    private final OutputStream out;
    private final EmbeddedChannel writes = new EmbeddedChannel(new io.netty.channel.ChannelInboundHandlerAdapter());
    private final DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();
    private final Map<Integer, StringBuilder> bodies = new ConcurrentHashMap<>();
    private final Map<Integer, String[]> heads = new ConcurrentHashMap<>();
    private final Map<Integer, BlockingQueue<Answer>> answers = new ConcurrentHashMap<>();

    H2ClientForTests(Socket socket) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
        out.write(Http2Relay.PREFACE);
        write(ctx -> writer.writeSettings(ctx, new Http2Settings(), ctx.newPromise()));
        Thread t = new Thread(this::read, "h2-test-client");
        t.setDaemon(true);
        t.start();
    }

    private interface Write {
        void to(ChannelHandlerContext ctx) throws Exception;
    }

    private synchronized void write(Write w) throws IOException {
        try {
            w.to(writes.pipeline().firstContext());
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
        writes.flushOutbound();
        ByteBuf b;
        while ((b = writes.readOutbound()) != null) {
            out.write(ByteBufUtil.getBytes(b));
            b.release();
        }
        out.flush();
    }

    /** Writes raw bytes (frames made by hand). */
    synchronized void raw(byte[] frames) throws IOException {
        out.write(frames);
        out.flush();
    }

    static Http2Headers get(String path) {
        return new DefaultHttp2Headers().method("GET").scheme("https").authority("api.test").path(path);
    }

    void headers(int stream, Http2Headers h, boolean end) throws IOException {
        write(ctx -> writer.writeHeaders(ctx, stream, h, 0, end, ctx.newPromise()));
    }

    void rst(int stream) throws IOException {
        write(ctx -> writer.writeRstStream(ctx, stream, 8, ctx.newPromise())); // CANCEL
    }

    void data(int stream, String body, boolean end) throws IOException {
        ByteBuf b = Unpooled.copiedBuffer(body, StandardCharsets.ISO_8859_1);
        write(ctx -> writer.writeData(ctx, stream, b, 0, end, ctx.newPromise()));
    }

    /**
     * Sends a HEADERS frame and a CONTINUATION that split the header block at the given byte of the value
     * {@code splitIn} (literal, not Huffman-coded, so the split falls inside it).
     */
    void splitHeaders(int stream, Http2Headers h, String splitIn, int at) throws Exception {
        DefaultHttp2HeadersEncoder enc = new DefaultHttp2HeadersEncoder((n, v) -> true, false, 16, Integer.MAX_VALUE);
        ByteBuf block = Unpooled.buffer();
        enc.encodeHeaders(stream, h, block);
        byte[] b = ByteBufUtil.getBytes(block);
        block.release();
        int where = new String(b, StandardCharsets.ISO_8859_1).indexOf(splitIn) + at;
        byte[] first = java.util.Arrays.copyOfRange(b, 0, where);
        byte[] rest = java.util.Arrays.copyOfRange(b, where, b.length);
        java.io.ByteArrayOutputStream f = new java.io.ByteArrayOutputStream();
        f.write(Http2Relay.frame(1, 0x1, stream, first)); // HEADERS, END_STREAM, no END_HEADERS
        f.write(Http2Relay.frame(9, 0x4, stream, rest)); // CONTINUATION, END_HEADERS
        raw(f.toByteArray());
    }

    /** The stream's answer, waiting at most 20 s. */
    Answer answer(int stream) throws InterruptedException {
        Answer a = queue(stream).poll(20, TimeUnit.SECONDS);
        if (a == null) {
            throw new AssertionError("no answer on stream " + stream);
        }
        return a;
    }

    private BlockingQueue<Answer> queue(int stream) {
        return answers.computeIfAbsent(stream, s -> new LinkedBlockingQueue<>());
    }

    private void done(int stream, long reset) {
        String[] h = heads.remove(stream);
        StringBuilder b = bodies.remove(stream);
        queue(stream).add(new Answer(h == null ? null : h[0], h == null ? null : h[1], b == null ? "" : b.toString(),
                reset));
    }

    private void read() {
        DefaultHttp2FrameReader reader = new DefaultHttp2FrameReader();
        Http2FrameAdapter listener = new Http2FrameAdapter() {
            @Override
            public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding,
                    boolean endOfStream) {
                bodies.computeIfAbsent(streamId, s -> new StringBuilder())
                        .append(data.toString(StandardCharsets.ISO_8859_1));
                int n = data.readableBytes() + padding;
                if (n > 0) {
                    try {
                        write(c -> {
                            writer.writeWindowUpdate(c, 0, n, c.newPromise());
                            writer.writeWindowUpdate(c, streamId, n, c.newPromise());
                        });
                    } catch (IOException e) {
                        // closed
                    }
                }
                if (endOfStream) {
                    done(streamId, -1);
                }
                return n;
            }

            @Override
            public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                    boolean endOfStream) {
                CharSequence refusal = headers.get("x-msb-refusal");
                heads.put(streamId, new String[] {String.valueOf(headers.status()),
                        refusal == null ? null : refusal.toString()});
                if (endOfStream) {
                    done(streamId, -1);
                }
            }

            @Override
            public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers,
                    int streamDependency, short weight, boolean exclusive, int padding, boolean endOfStream) {
                onHeadersRead(ctx, streamId, headers, padding, endOfStream);
            }

            @Override
            public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
                done(streamId, errorCode);
            }

            @Override
            public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) {
                try {
                    write(c -> writer.writeSettingsAck(c, c.newPromise()));
                } catch (IOException e) {
                    // closed
                }
            }
        };
        EmbeddedChannel ch = new EmbeddedChannel(new ByteToMessageDecoder() {
            @Override
            protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
                reader.readFrame(ctx, in, listener);
            }
        });
        try {
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[16 * 1024];
            int n;
            while ((n = in.read(buf)) >= 0) {
                ch.writeInbound(Unpooled.copiedBuffer(buf, 0, n));
            }
        } catch (Exception e) {
            // the connection ended
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
