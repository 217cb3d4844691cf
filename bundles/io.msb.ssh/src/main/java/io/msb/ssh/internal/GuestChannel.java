package io.msb.ssh.internal;

import java.nio.channels.ClosedChannelException;
import java.nio.channels.SeekableByteChannel;

/** The position and open state shared by the read and write channels of a guest file. */
abstract class GuestChannel implements SeekableByteChannel {
    protected final String path;
    protected long position;
    protected boolean open = true;

    GuestChannel(String path) {
        this.path = path;
    }

    @Override
    public synchronized long position() {
        return position;
    }

    @Override
    public synchronized SeekableByteChannel position(long newPosition) {
        if (newPosition < 0) {
            throw new IllegalArgumentException("position: " + newPosition + " is negative");
        }
        position = newPosition;
        return this;
    }

    @Override
    public synchronized boolean isOpen() {
        return open;
    }

    protected void ensureOpen() throws ClosedChannelException {
        if (!open) {
            throw new ClosedChannelException();
        }
    }
}
