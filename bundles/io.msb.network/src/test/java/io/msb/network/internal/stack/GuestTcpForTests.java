package io.msb.network.internal.stack;

import static io.msb.network.internal.stack.Packets.ACK;
import static io.msb.network.internal.stack.Packets.FIN;
import static io.msb.network.internal.stack.Packets.RST;
import static io.msb.network.internal.stack.Packets.SYN;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * A deliberately small guest-side TCP for tests: one flow, in-order only, with a receive buffer the test
 * drains when it likes (a slow reader). It checks the stack never sends beyond the window it advertised.
 */
final class GuestTcpForTests {
    final GuestForTests guest;
    final int port;
    final int remote;
    final int remotePort;
    private final int capacity;
    int sndNxt = 1000;
    int sndUna = 1000;
    int rcvNxt;
    int peerWindow;
    boolean finReceived;
    boolean reset;
    private int advertisedRight; // rcvNxt + window we last advertised
    private final ByteArrayOutputStream unread = new ByteArrayOutputStream();

    GuestTcpForTests(GuestForTests guest, int port, int remote, int remotePort, int capacity) {
        this.guest = guest;
        this.port = port;
        this.remote = remote;
        this.remotePort = remotePort;
        this.capacity = capacity;
    }

    private int window() {
        return Math.min(0xffff, capacity - unread.size());
    }

    /** SYN, then SYN-ACK or RST. Returns true when established. */
    boolean connect() throws IOException, InterruptedException {
        guest.tcp(remote, port, remotePort, sndNxt, 0, SYN, window(), Packets.synOptions(1460, -1), null);
        GuestForTests.Seen s = guest.expect("SYN-ACK or RST", this::mine);
        if (s.has(RST)) {
            reset = true;
            return false;
        }
        if (!s.has(SYN | ACK) || s.ack() != sndNxt + 1) {
            throw new AssertionError("expected SYN-ACK, got flags " + s.flags());
        }
        sndNxt++;
        sndUna = sndNxt;
        rcvNxt = s.seq() + 1;
        peerWindow = s.window();
        ack();
        return true;
    }

    /** Answers the stack's SYN (a published port's flow). */
    void accept(GuestForTests.Seen syn) throws IOException {
        rcvNxt = syn.seq() + 1;
        peerWindow = syn.window();
        advertisedRight = rcvNxt + window();
        guest.tcp(remote, port, remotePort, sndNxt, rcvNxt, SYN | ACK, window(), Packets.synOptions(1460, -1), null);
        sndNxt++;
    }

    boolean mine(GuestForTests.Seen s) {
        return s.tcp() && s.dstPort() == port && s.srcPort() == remotePort && s.src() == remote;
    }

    void ack() throws IOException {
        advertisedRight = rcvNxt + window();
        guest.tcp(remote, port, remotePort, sndNxt, rcvNxt, ACK, window(), null, null);
    }

    /** Handles one segment of this flow (waiting up to {@code seconds}); false if none came. */
    boolean step(double seconds) throws InterruptedException, IOException {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        GuestForTests.Seen s;
        do {
            s = guest.next(0.05);
            if (s != null && mine(s)) {
                handle(s);
                return true;
            }
        } while (System.nanoTime() < end);
        return false;
    }

    private void handle(GuestForTests.Seen s) throws IOException {
        if (s.has(RST)) {
            reset = true;
            return;
        }
        if (s.has(ACK) && s.ack() - sndUna > 0 && s.ack() - sndNxt <= 0) {
            sndUna = s.ack();
        }
        peerWindow = s.window();
        int len = s.payload().length;
        if (len > 0) {
            if (s.seq() + len - advertisedRight > 0) {
                throw new AssertionError("the stack sent beyond the guest's window: seq " + s.seq() + " len " + len
                        + " right edge " + advertisedRight);
            }
            if (s.seq() == rcvNxt) {
                unread.write(s.payload(), 0, len);
                rcvNxt += len;
            }
        }
        if (s.has(FIN) && s.seq() + len == rcvNxt) {
            rcvNxt++;
            finReceived = true;
        }
        if (len > 0 || s.has(FIN)) {
            ack();
        }
    }

    /** Sends all of {@code data}, within the stack's window, waiting for acknowledgements. */
    void write(byte[] data) throws IOException, InterruptedException {
        int off = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (off < data.length || sndUna != sndNxt) {
            int inflight = sndNxt - sndUna;
            int n = Math.min(Math.min(1460, data.length - off), peerWindow - inflight);
            if (n > 0) {
                byte[] chunk = java.util.Arrays.copyOfRange(data, off, off + n);
                guest.tcp(remote, port, remotePort, sndNxt, rcvNxt, ACK, window(), null, chunk);
                sndNxt += n;
                off += n;
                continue;
            }
            if (!step(0.5) && inflight > 0) {
                sndNxt = sndUna; // go back: resend what was not acknowledged
                off -= inflight;
            } else if (peerWindow == 0 && inflight == 0) {
                // probe the closed window
                guest.tcp(remote, port, remotePort, sndNxt - 1, rcvNxt, ACK, window(), null, null);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("write did not finish; " + off + " of " + data.length + " sent");
            }
        }
    }

    /** Sends {@code segments} data segments of {@code size} bytes in one link write; returns the bytes. */
    byte[] burst(int segments, int size) throws IOException {
        byte[] data = new byte[segments * size];
        new java.util.Random(segments).nextBytes(data);
        byte[][] frames = new byte[segments][];
        for (int i = 0; i < segments; i++) {
            frames[i] = GuestForTests.tcpFrame(remote, port, remotePort, sndNxt, rcvNxt, ACK, window(), null,
                    java.util.Arrays.copyOfRange(data, i * size, (i + 1) * size));
            sndNxt += size;
        }
        guest.send(frames);
        return data;
    }

    void fin() throws IOException {
        guest.tcp(remote, port, remotePort, sndNxt, rcvNxt, FIN | ACK, window(), null, null);
        sndNxt++;
    }

    void rst() throws IOException {
        guest.tcp(remote, port, remotePort, sndNxt, 0, RST, 0, null, null);
    }

    /** Takes up to {@code max} received bytes (the application reading) and re-advertises the window. */
    byte[] take(int max) throws IOException {
        byte[] all = unread.toByteArray();
        int n = Math.min(max, all.length);
        unread.reset();
        unread.write(all, n, all.length - n);
        boolean wasSmall = advertisedRight - rcvNxt < 1460;
        if (n > 0 && wasSmall) {
            ack();
        }
        return java.util.Arrays.copyOf(all, n);
    }

    int unreadSize() {
        return unread.size();
    }
}
