package io.msb.protocol;

import io.msb.protocol.internal.ChannelStreams;
import io.msb.protocol.internal.StreamTransport;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/** A byte pipe to an agent (or a relay): a UNIX socket, a process's stdio, or any stream pair. */
public interface AgentTransport extends Closeable {
    InputStream input();

    OutputStream output();

    /** Closes both directions; a reader blocked on {@link #input()} wakes up. */
    @Override
    void close();

    /** Connects to a UNIX domain socket. */
    static AgentTransport unix(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            ch.close();
            throw new IOException("connect " + socket + ": " + e.getMessage(), e);
        }
        return of(ch);
    }

    /** Wraps a connected channel; reads and writes may run on different threads. */
    static AgentTransport of(SocketChannel channel) {
        return of(ChannelStreams.input(channel), ChannelStreams.output(channel), channel);
    }

    /** Talks to a process over its stdin/stdout (e.g. {@code agentd --stdio}); close destroys it. */
    static AgentTransport of(Process process) {
        return of(process.getInputStream(), process.getOutputStream(), () -> {
            process.getOutputStream().close();
            process.destroy();
        });
    }

    static AgentTransport of(InputStream in, OutputStream out, Closeable onClose) {
        return new StreamTransport(in, out, onClose);
    }
}
