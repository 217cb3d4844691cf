package io.msb.network.internal.intercept;

import io.msb.network.internal.http.Refusal;
import io.msb.network.internal.http.RequestRewriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Flags;
import io.netty.handler.codec.http2.Http2FrameListener;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.util.AsciiString;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * HTTP/2 through interception (decision 1309): the guest's frames are read with Netty's frame reader (its header
 * blocks decoded by Netty's HPACK decoder), header fields go through the same substitution as HTTP/1.1 heads, and
 * are written upstream by Netty's frame writer with an HPACK encoder that never indexes (a dynamic table size of 0
 * is announced first, valid whatever the server's table size). DATA passes unchanged but is looked at: a
 * placeholder in it refuses the stream. The server's frames pass unchanged, except that its SETTINGS are capped
 * to what this relay reads from the guest. Everything is bounded: frames, header lists, streams, header blocks.
 */
final class Http2Relay {
    static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    /** The largest header list read from the guest (and advertised to it). */
    static final int MAX_HEADER_LIST = 64 * 1024;
    /** The largest frame read from either side (advertised to both). */
    static final int MAX_FRAME = 64 * 1024;
    /** Streams the guest may have open at once (advertised to it). */
    static final int MAX_STREAMS = 100;
    /** The HPACK table the guest may use (the decoder's size). */
    static final int HEADER_TABLE = 4096;
    /** A server header block (HEADERS or PUSH_PROMISE and its CONTINUATIONs) is held whole, at most this. */
    static final int MAX_HEADER_BLOCK = 256 * 1024;
    private static final int DATA = 0;
    private static final int HEADERS = 1;
    private static final int RST_STREAM = 3;
    private static final int SETTINGS = 4;
    private static final int PUSH_PROMISE = 5;
    private static final int WINDOW_UPDATE = 8;
    private static final int CONTINUATION = 9;
    private static final int END_STREAM = 0x1;
    private static final int END_HEADERS = 0x4;

    /** Writes whole frames to the guest, never between another writer's frames. */
    interface GuestFrames {
        void write(byte[] frames) throws IOException;
    }

    private final RequestRewriter rewriter;
    private final GuestFrames toGuest;
    /** After a refusal: true if the flow must end now (a violation asked for the sandbox's termination). */
    private final java.util.function.BooleanSupplier endAfterRefusal;
    /** Streams the guest has open, with what their DATA is looked at with. */
    private final Map<Integer, RequestRewriter.BodyScan> open = new ConcurrentHashMap<>();
    /** Streams refused while the guest may still send on them: their frames go nowhere. */
    private final Set<Integer> dropped = ConcurrentHashMap.newKeySet();
    /** The server's SETTINGS_MAX_FRAME_SIZE (capped), to apply to the guest's reader and the upstream writer. */
    private volatile int serverMaxFrame = 16_384;
    /**
     * The highest stream whose HEADERS went upstream: the server takes any stream above it as idle, where a
     * RST_STREAM, WINDOW_UPDATE or PRIORITY is a connection error, so the guest's for a refused stream go nowhere.
     */
    private int highestUpstream;
    private int appliedMaxFrame = 16_384;
    private boolean serverSettingsSeen;
    private final DefaultHttp2HeadersEncoder refusalEncoder =
            new DefaultHttp2HeadersEncoder((name, value) -> true);

    Http2Relay(RequestRewriter rewriter, GuestFrames toGuest, java.util.function.BooleanSupplier endAfterRefusal) {
        this.rewriter = rewriter;
        this.toGuest = toGuest;
        this.endAfterRefusal = endAfterRefusal;
    }

    /** Thrown out of the relay when a refusal must end the flow. */
    static final class EndFlow extends IOException {
        private static final long serialVersionUID = 1L;

        EndFlow() {
            super("a refusal ends the flow");
        }
    }

    /**
     * Relays the guest's frames to upstream until the guest ends its side.
     *
     * @throws IOException on a protocol error or a failed side (the flow then closes)
     */
    void requests(InputStream guest, OutputStream upstream) throws IOException {
        byte[] preface = guest.readNBytes(PREFACE.length);
        if (!Arrays.equals(preface, PREFACE)) {
            throw new IOException("not an HTTP/2 connection preface");
        }
        upstream.write(PREFACE);
        DefaultHttp2FrameReader reader = new DefaultHttp2FrameReader(
                new DefaultHttp2HeadersDecoder(true, false, MAX_HEADER_LIST));
        DefaultHttp2HeadersEncoder encoder = new DefaultHttp2HeadersEncoder((name, value) -> true);
        DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter(encoder);
        try {
            encoder.configuration().maxHeaderTableSize(0); // announced at the start of the first header block
            reader.configuration().headersConfiguration().maxHeaderTableSize(HEADER_TABLE);
        } catch (Http2Exception e) {
            throw new IOException(e);
        }
        Listener listener = new Listener(writer);
        EmbeddedChannel channel = new EmbeddedChannel(new ByteToMessageDecoder() {
            @Override
            protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
                reader.readFrame(ctx, in, listener);
                ctx.flush();
            }
        });
        try {
            byte[] buf = new byte[16 * 1024];
            int n;
            while ((n = guest.read(buf)) >= 0) {
                try {
                    int max = serverMaxFrame;
                    if (max != appliedMaxFrame) {
                        reader.configuration().frameSizePolicy().maxFrameSize(max);
                        writer.configuration().frameSizePolicy().maxFrameSize(max);
                        appliedMaxFrame = max;
                    }
                    channel.writeInbound(Unpooled.wrappedBuffer(buf, 0, n).copy());
                } catch (Exception e) { // Netty may throw checked exceptions undeclared
                    Throwable c = e.getCause() != null && !(e instanceof UncheckedIOException) ? e.getCause() : e;
                    if (c instanceof UncheckedIOException u) {
                        throw u.getCause();
                    }
                    if (c instanceof IOException io) {
                        throw io;
                    }
                    throw new IOException("HTTP/2 from the guest: " + c.getMessage(), c);
                } finally {
                    drain(channel, upstream);
                }
                if (listener.end) {
                    throw new EndFlow();
                }
            }
        } finally {
            channel.finishAndReleaseAll();
            reader.close();
            writer.close();
        }
    }

    private static void drain(EmbeddedChannel channel, OutputStream upstream) throws IOException {
        channel.flushOutbound();
        ByteBuf b;
        while ((b = channel.readOutbound()) != null) {
            try {
                b.readBytes(upstream, b.readableBytes());
            } finally {
                b.release();
            }
        }
        upstream.flush();
    }

    /** What each of the guest's frames becomes upstream. */
    private final class Listener implements Http2FrameListener {
        private final DefaultHttp2FrameWriter writer;
        /** A refusal asked for the flow to end. */
        boolean end;

        Listener(DefaultHttp2FrameWriter writer) {
            this.writer = writer;
        }

        @Override
        public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream)
                throws Http2Exception {
            int flowControlled = data.readableBytes() + padding;
            RequestRewriter.BodyScan scan = open.get(streamId);
            if (end || dropped.contains(streamId) || scan == null) {
                if (endOfStream) {
                    dropped.remove(streamId);
                }
                giveBack(flowControlled); // the server never sees these bytes: the guest gets its window back
                return flowControlled;
            }
            try {
                byte[] bytes = ByteBufUtil.getBytes(data);
                scan.feed(bytes, 0, bytes.length);
            } catch (Refusal r) {
                open.remove(streamId);
                if (!endOfStream) {
                    dropped.add(streamId);
                }
                // the server has the stream's head, maybe some of its body: the request must not complete
                writer.writeRstStream(ctx, streamId, Http2Error.CANCEL.code(), ctx.newPromise());
                giveBack(flowControlled);
                rstGuest(streamId, Http2Error.REFUSED_STREAM);
                end |= endAfterRefusal.getAsBoolean();
                return flowControlled;
            }
            if (endOfStream) {
                open.remove(streamId);
            }
            writer.writeData(ctx, streamId, data.retain(), padding, endOfStream, ctx.newPromise());
            return flowControlled;
        }

        @Override
        public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                boolean endOfStream) throws Http2Exception {
            headers(ctx, streamId, headers, false, 0, (short) 16, false, endOfStream);
        }

        @Override
        public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
                short weight, boolean exclusive, int padding, boolean endOfStream) throws Http2Exception {
            headers(ctx, streamId, headers, true, streamDependency, weight, exclusive, endOfStream);
        }

        private void headers(ChannelHandlerContext ctx, int streamId, Http2Headers headers, boolean priority,
                int dependency, short weight, boolean exclusive, boolean endOfStream) throws Http2Exception {
            if (end) {
                return; // the flow ends: nothing more goes upstream
            }
            if (dropped.contains(streamId)) {
                if (endOfStream) {
                    dropped.remove(streamId);
                }
                return; // trailers of a refused stream
            }
            if (open.containsKey(streamId)) { // trailers
                rewrite(ctx, streamId, headers, endOfStream, priority, dependency, weight, exclusive);
                return;
            }
            if (open.size() >= MAX_STREAMS || dropped.size() >= 4 * MAX_STREAMS) {
                if (!endOfStream) {
                    dropped.add(streamId);
                }
                rstGuest(streamId, Http2Error.REFUSED_STREAM);
                return;
            }
            rewrite(ctx, streamId, headers, endOfStream, priority, dependency, weight, exclusive);
        }

        private void rewrite(ChannelHandlerContext ctx, int streamId, Http2Headers headers, boolean endOfStream,
                boolean priority, int dependency, short weight, boolean exclusive) throws Http2Exception {
            List<String[]> fields = new ArrayList<>(headers.size());
            for (Map.Entry<CharSequence, CharSequence> h : headers) {
                fields.add(new String[] {h.getKey().toString(), h.getValue().toString()});
            }
            RequestRewriter.BodyScan known = open.get(streamId);
            RequestRewriter.BodyScan scan;
            try {
                scan = known != null ? rewriter.rewriteTrailers(fields, known) : rewriter.rewriteFields(fields);
            } catch (Refusal r) {
                boolean wasOpen = open.remove(streamId) != null;
                if (wasOpen) { // trailers refused: the server has the rest, it must not complete
                    writer.writeRstStream(ctx, streamId, Http2Error.CANCEL.code(), ctx.newPromise());
                }
                if (!endOfStream) {
                    dropped.add(streamId);
                }
                refuseGuest(streamId, r);
                end |= endAfterRefusal.getAsBoolean();
                return;
            }
            Http2Headers out = new DefaultHttp2Headers(false, fields.size());
            for (String[] f : fields) {
                out.add(new AsciiString(f[0].getBytes(StandardCharsets.ISO_8859_1), false),
                        new AsciiString(f[1].getBytes(StandardCharsets.ISO_8859_1), false));
            }
            if (!endOfStream) {
                open.putIfAbsent(streamId, scan);
            } else {
                open.remove(streamId);
            }
            highestUpstream = Math.max(highestUpstream, streamId);
            if (priority) {
                writer.writeHeaders(ctx, streamId, out, dependency, weight, exclusive, 0, endOfStream,
                        ctx.newPromise());
            } else {
                writer.writeHeaders(ctx, streamId, out, 0, endOfStream, ctx.newPromise());
            }
        }

        @Override
        public void onPriorityRead(ChannelHandlerContext ctx, int streamId, int streamDependency, short weight,
                boolean exclusive) {
            if (upstreamKnows(streamId)) {
                writer.writePriority(ctx, streamId, streamDependency, weight, exclusive, ctx.newPromise());
            }
        }

        @Override
        public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
            open.remove(streamId);
            if (!dropped.remove(streamId) && upstreamKnows(streamId)) {
                writer.writeRstStream(ctx, streamId, errorCode, ctx.newPromise());
            }
        }

        @Override
        public void onSettingsAckRead(ChannelHandlerContext ctx) {
            writer.writeSettingsAck(ctx, ctx.newPromise());
        }

        @Override
        public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) {
            Integer frame = settings.maxFrameSize();
            if (frame != null && frame > MAX_FRAME) {
                settings.maxFrameSize(MAX_FRAME); // the server's frames are held whole here
            }
            writer.writeSettings(ctx, settings, ctx.newPromise());
        }

        @Override
        public void onPingRead(ChannelHandlerContext ctx, long data) {
            writer.writePing(ctx, false, data, ctx.newPromise());
        }

        @Override
        public void onPingAckRead(ChannelHandlerContext ctx, long data) {
            writer.writePing(ctx, true, data, ctx.newPromise());
        }

        @Override
        public void onPushPromiseRead(ChannelHandlerContext ctx, int streamId, int promisedStreamId,
                Http2Headers headers, int padding) throws Http2Exception {
            throw Http2Exception.connectionError(Http2Error.PROTOCOL_ERROR, "a client sent PUSH_PROMISE");
        }

        @Override
        public void onGoAwayRead(ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {
            writer.writeGoAway(ctx, lastStreamId, errorCode, debugData.retain(), ctx.newPromise());
        }

        @Override
        public void onWindowUpdateRead(ChannelHandlerContext ctx, int streamId, int windowSizeIncrement) {
            if (streamId == 0 || upstreamKnows(streamId)) {
                writer.writeWindowUpdate(ctx, streamId, windowSizeIncrement, ctx.newPromise());
            }
        }

        /**
         * Whether a frame on the stream may go upstream: not refused, and not idle for the server (streams the server
         * pushed, even-numbered, are its own).
         */
        private boolean upstreamKnows(int streamId) {
            return !dropped.contains(streamId) && (streamId % 2 == 0 || streamId <= highestUpstream);
        }

        @Override
        public void onUnknownFrame(ChannelHandlerContext ctx, byte frameType, int streamId, Http2Flags flags,
                ByteBuf payload) {
            // extension frames are not relayed: nothing here looks inside them
        }
    }

    // ---- frames the relay writes to the guest itself: none changes its HPACK table

    /** A 403 (or the refusal's status) on the stream, its reason in a header; the stream ends. */
    private void refuseGuest(int streamId, Refusal r) {
        Http2Headers h = new DefaultHttp2Headers(false);
        h.status(Integer.toString(r.status()));
        h.add("content-type", "text/plain; charset=utf-8");
        h.add("x-msb-refusal", r.getMessage().replaceAll("[^\\x20-\\x7e]", "?"));
        ByteBuf block = Unpooled.buffer();
        try {
            synchronized (refusalEncoder) {
                refusalEncoder.encodeHeaders(streamId, h, block);
            }
            byte[] b = ByteBufUtil.getBytes(block);
            guest(frame(HEADERS, END_STREAM | END_HEADERS, streamId, b));
        } catch (Http2Exception e) {
            throw new IllegalStateException(e);
        } finally {
            block.release();
        }
    }

    private void rstGuest(int streamId, Http2Error error) {
        guest(frame(RST_STREAM, 0, streamId, u32(error.code())));
    }

    /** Connection window for bytes the server will not see. */
    private void giveBack(int bytes) {
        if (bytes > 0) {
            guest(frame(WINDOW_UPDATE, 0, 0, u32(bytes)));
        }
    }

    private void guest(byte[] frame) {
        try {
            toGuest.write(frame);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] u32(long v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    static byte[] frame(int type, int flags, int streamId, byte[] payload) {
        byte[] f = new byte[9 + payload.length];
        f[0] = (byte) (payload.length >>> 16);
        f[1] = (byte) (payload.length >>> 8);
        f[2] = (byte) payload.length;
        f[3] = (byte) type;
        f[4] = (byte) flags;
        f[5] = (byte) (streamId >>> 24 & 0x7f);
        f[6] = (byte) (streamId >>> 16);
        f[7] = (byte) (streamId >>> 8);
        f[8] = (byte) streamId;
        System.arraycopy(payload, 0, f, 9, payload.length);
        return f;
    }

    /**
     * Relays the server's frames to the guest until the server ends: whole frames, header blocks whole, SETTINGS
     * capped to this relay's limits (the first also gets the limits the server did not set).
     */
    void responses(InputStream server) throws IOException {
        DataInputStream in = new DataInputStream(server);
        ByteArrayOutputStream block = null;
        byte[] head = new byte[9];
        while (true) {
            try {
                in.readFully(head);
            } catch (EOFException e) {
                return;
            }
            int length = (head[0] & 0xff) << 16 | (head[1] & 0xff) << 8 | head[2] & 0xff;
            int type = head[3] & 0xff;
            int flags = head[4] & 0xff;
            int streamId = ((head[5] & 0x7f) << 24) | (head[6] & 0xff) << 16 | (head[7] & 0xff) << 8 | head[8] & 0xff;
            if (length > MAX_FRAME) {
                throw new IOException("the server sent a frame larger than " + MAX_FRAME + " bytes");
            }
            byte[] payload = new byte[length];
            in.readFully(payload);
            if (type == SETTINGS && (flags & 1) == 0) {
                payload = capSettings(payload);
            } else if (type == RST_STREAM) {
                open.remove(streamId); // the guest sends no more on it
            }
            byte[] f = frame(type, flags, streamId, payload);
            if (block != null || (type == HEADERS || type == PUSH_PROMISE) && (flags & END_HEADERS) == 0) {
                if (block == null) {
                    block = new ByteArrayOutputStream();
                } else if (type != CONTINUATION) {
                    throw new IOException("the server interrupted a header block");
                }
                block.write(f);
                if (block.size() > MAX_HEADER_BLOCK) {
                    throw new IOException("the server sent a header block larger than " + MAX_HEADER_BLOCK);
                }
                if (type == CONTINUATION && (flags & END_HEADERS) != 0) {
                    toGuest.write(block.toByteArray());
                    block = null;
                }
                continue;
            }
            toGuest.write(f);
        }
    }

    private byte[] capSettings(byte[] payload) throws IOException {
        if (payload.length % 6 != 0) {
            throw new IOException("a malformed SETTINGS frame from the server");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length + 12);
        boolean streams = false;
        boolean list = false;
        for (int i = 0; i < payload.length; i += 6) {
            int id = (payload[i] & 0xff) << 8 | payload[i + 1] & 0xff;
            long v = ((payload[i + 2] & 0xffL) << 24) | (payload[i + 3] & 0xff) << 16 | (payload[i + 4] & 0xff) << 8
                    | payload[i + 5] & 0xff;
            switch (id) {
                case 1 -> v = Math.min(v, HEADER_TABLE);
                case 3 -> {
                    v = Math.min(v, MAX_STREAMS);
                    streams = true;
                }
                case 5 -> {
                    v = Math.min(v, MAX_FRAME);
                    serverMaxFrame = (int) Math.max(16_384, v);
                }
                case 6 -> {
                    v = Math.min(v, MAX_HEADER_LIST);
                    list = true;
                }
                default -> { }
            }
            setting(out, id, v);
        }
        if (!serverSettingsSeen) {
            serverSettingsSeen = true;
            if (!streams) {
                setting(out, 3, MAX_STREAMS);
            }
            if (!list) {
                setting(out, 6, MAX_HEADER_LIST);
            }
        }
        return out.toByteArray();
    }

    private static void setting(ByteArrayOutputStream out, int id, long v) {
        out.write(id >>> 8);
        out.write(id);
        out.writeBytes(u32(v));
    }
}
