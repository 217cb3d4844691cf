package io.msb.network.internal.intercept;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An HTTP/2 server over TLS on 127.0.0.1 for interception tests (Netty's frame codec): its certificate (for
 * {@code api.test}) is from a throwaway CA, ALPN offers {@code h2} only, and each request is answered 200 with its
 * header fields, one "name: value" line each, then "body: " and its body. Completed requests and the streams reset
 * by the client are recorded.
 */
public final class H2EchoServerForTests implements AutoCloseable {
    public final CertificateAuthority ca;
    public final Path caFile;
    /** Each request the server saw completely: its echo. */
    public final List<String> requests = new CopyOnWriteArrayList<>();
    /** Streams the client reset. */
    public final List<Integer> resets = new CopyOnWriteArrayList<>();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;

    public H2EchoServerForTests(Path dir) throws Exception {
        ca = CertificateAuthority.inDirectory(dir);
        caFile = dir.resolve(CertificateAuthority.CERT_FILE);
        CertificateAuthority.Leaf leaf = ca.leaf("api.test", 24, 10);
        SslContext ssl = SslContextBuilder.forServer(leaf.key(), leaf.chain()).sslProvider(SslProvider.JDK)
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, "h2"))
                .build();
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(ssl.newHandler(ch.alloc()), Http2FrameCodecBuilder.forServer().build(),
                                new Echo());
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    private final class Echo extends ChannelInboundHandlerAdapter {
        private final Map<Http2FrameStream, StringBuilder> streams = new HashMap<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2HeadersFrame h) {
                StringBuilder b = streams.computeIfAbsent(h.stream(), s -> new StringBuilder());
                if (b.isEmpty()) {
                    for (Map.Entry<CharSequence, CharSequence> e : h.headers()) {
                        b.append(e.getKey()).append(": ").append(e.getValue()).append('\n');
                    }
                    b.append("body: ");
                }
                if (h.isEndStream()) {
                    answer(ctx, h.stream());
                }
            } else if (msg instanceof Http2DataFrame d) {
                try {
                    streams.computeIfAbsent(d.stream(), s -> new StringBuilder())
                            .append(d.content().toString(StandardCharsets.ISO_8859_1));
                    if (d.initialFlowControlledBytes() > 0) {
                        ctx.write(new DefaultHttp2WindowUpdateFrame(d.initialFlowControlledBytes()).stream(d.stream()));
                    }
                    if (d.isEndStream()) {
                        answer(ctx, d.stream());
                    }
                } finally {
                    d.release();
                }
                ctx.flush();
            } else if (msg instanceof Http2ResetFrame r) {
                resets.add(r.stream().id());
                streams.remove(r.stream());
            } else {
                io.netty.util.ReferenceCountUtil.release(msg);
            }
        }

        private void answer(ChannelHandlerContext ctx, Http2FrameStream stream) {
            String echo = streams.remove(stream).toString();
            requests.add(echo);
            Http2Headers h = new DefaultHttp2Headers().status("200").add("content-type", "text/plain");
            ctx.write(new DefaultHttp2HeadersFrame(h).stream(stream));
            ByteBuf body = Unpooled.copiedBuffer(echo, StandardCharsets.ISO_8859_1);
            ctx.writeAndFlush(new DefaultHttp2DataFrame(body, true).stream(stream));
        }
    }

    @Override
    public void close() throws Exception {
        server.close().sync();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
    }
}
