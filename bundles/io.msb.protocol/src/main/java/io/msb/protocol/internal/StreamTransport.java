package io.msb.protocol.internal;

import io.msb.protocol.AgentTransport;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** {@link AgentTransport#of(InputStream, OutputStream, Closeable)}: a stream pair and what closes it. */
public record StreamTransport(InputStream input, OutputStream output, Closeable onClose) implements AgentTransport {
    @Override
    public void close() {
        try {
            onClose.close();
        } catch (IOException ignored) {
            // closing is best effort: the peer may already be gone
        }
    }
}
