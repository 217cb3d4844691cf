package io.msb.api;

import java.io.Closeable;
import java.io.InputStream;
import java.io.OutputStream;
import org.osgi.annotation.versioning.ProviderType;

/** A TCP connection to an address inside the guest, carried over the agent channel. */
@ProviderType
public interface TcpStream extends Closeable {
    InputStream input();

    /** Closing the output half-closes the connection (the guest peer reads EOF). */
    OutputStream output();

    @Override
    void close();
}
