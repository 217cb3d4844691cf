package io.msb.network.internal.bench;

import io.msb.api.spi.DaemonThreads;
import io.msb.network.internal.stack.LinkFramesForTests;
import io.msb.network.internal.stack.Packets;
import io.msb.network.internal.stack.StackConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The guest side for the benchmark, in QEMU's place on the stream socket: a reader thread parses the stack's
 * frames and hands TCP segments to per-port flows; writers send frames under a lock. Minimal TCP: the stack
 * never loses a segment on a local socket, so there is no retransmission here (a stall fails the bench).
 */
final class GuestDriver implements AutoCloseable {
    static final byte[] MAC = {2, 0, 0, 0, 0, 2};
    static final int IP = 0xac100002;
    static final int GATEWAY = IP - 1;
    /** Our window scale: windows up to 8 MiB. */
    static final int WSCALE = 7;

    private final SocketChannel link;
    private final Map<Integer, Flow> flows = new ConcurrentHashMap<>();
    private final Thread reader;
    private volatile boolean closed;

    GuestDriver(SocketChannel link) {
        this.link = link;
        reader = DaemonThreads.start("guest-driver", this::read);
        DaemonThreads.start("guest-driver-delayed-ack", this::delayedAcks);
    }

    /** The delayed-ACK timer (Linux: 40 ms at most; 2 ms here, the link is local). */
    private void delayedAcks() {
        while (!closed) {
            try {
                Thread.sleep(2);
                for (Flow f : flows.values()) {
                    f.ackIfPending();
                }
            } catch (InterruptedException | IOException e) {
                return;
            }
        }
    }

    /** One guest TCP flow. Window fields are in bytes. */
    final class Flow {
        final int port;
        final int remotePort;
        final int window;
        volatile int sndNxt = 1;
        volatile int sndUna = 1;
        volatile int rcvNxt;
        volatile long peerWindow;
        volatile boolean established;
        volatile boolean finReceived;
        volatile boolean reset;
        volatile long received;
        private int unacked;

        Flow(int port, int remotePort, int window) {
            this.port = port;
            this.remotePort = remotePort;
            this.window = window;
        }

        private int windowField() {
            return Math.min(0xffff, window >> WSCALE);
        }

        void connect() throws IOException, InterruptedException {
            flows.put(port, this);
            send(Packets.tcp(StackConfig.GATEWAY_MAC, MAC, IP, GATEWAY, port, remotePort, sndNxt - 1, 0, Packets.SYN,
                    windowField(), new byte[] {2, 4, 5, (byte) 0xb4, 1, 3, 3, WSCALE}, null, 0, 0));
            long end = System.nanoTime() + 10_000_000_000L;
            synchronized (this) {
                while (!established && !reset) {
                    if (System.nanoTime() > end) {
                        throw new IOException("no SYN-ACK from the stack");
                    }
                    wait(100);
                }
            }
            if (reset) {
                throw new IOException("connection refused by the stack");
            }
        }

        /** Sends {@code total} bytes within the stack's window. */
        void upload(long total) throws IOException, InterruptedException {
            byte[] chunk = new byte[1460];
            long sent = 0;
            while (sent < total) {
                int n;
                synchronized (this) {
                    long room;
                    long stall = System.nanoTime() + 10_000_000_000L;
                    while ((room = peerWindow - (sndNxt - sndUna)) <= 0) {
                        if (System.nanoTime() > stall || reset) {
                            throw new IOException("upload stalled: window " + peerWindow);
                        }
                        wait(100);
                    }
                    n = (int) Math.min(Math.min(1460, room), total - sent);
                }
                send(Packets.tcp(StackConfig.GATEWAY_MAC, MAC, IP, GATEWAY, port, remotePort, sndNxt, rcvNxt,
                        Packets.ACK, windowField(), null, chunk, 0, n));
                sndNxt += n;
                sent += n;
            }
        }

        void ackIfPending() throws IOException {
            synchronized (this) {
                if (unacked == 0) {
                    return;
                }
                unacked = 0;
            }
            send(Packets.tcp(StackConfig.GATEWAY_MAC, MAC, IP, GATEWAY, port, remotePort, sndNxt, rcvNxt,
                    Packets.ACK, windowField(), null, null, 0, 0));
        }

        void fin() throws IOException {
            // under the flow's lock: the stack's ACK of the FIN can come back before send returns, and the reader
            // ignores an ACK beyond sndNxt (then nothing acknowledges the FIN again and awaitClosed gives up)
            synchronized (this) {
                send(Packets.tcp(StackConfig.GATEWAY_MAC, MAC, IP, GATEWAY, port, remotePort, sndNxt, rcvNxt,
                        Packets.FIN | Packets.ACK, windowField(), null, null, 0, 0));
                sndNxt++;
            }
        }

        synchronized void awaitClosed() throws IOException, InterruptedException {
            long end = System.nanoTime() + 10_000_000_000L;
            while (!(finReceived && sndUna == sndNxt) && !reset) {
                if (System.nanoTime() > end) {
                    throw new IOException("close did not finish");
                }
                wait(100);
            }
            flows.remove(port);
        }

        void segment(byte[] f, int t, int len) throws IOException {
            int flags = f[t + 13] & 0x3f;
            int seq = Packets.i32(f, t + 4);
            int ack = Packets.i32(f, t + 8);
            int hdr = ((f[t + 12] & 0xf0) >>> 4) * 4;
            int data = len - hdr;
            boolean ackNow = false;
            synchronized (this) {
                if ((flags & Packets.RST) != 0) {
                    reset = true;
                    notifyAll();
                    return;
                }
                if ((flags & Packets.SYN) != 0) {
                    rcvNxt = seq + 1;
                    sndUna = ack;
                    established = true;
                    // the stack scales its window by 4 when we offer scaling (decision 1100)
                    peerWindow = (long) Packets.u16(f, t + 14);
                    ackNow = true;
                } else {
                    if (ack - sndUna > 0 && ack - sndNxt <= 0) {
                        sndUna = ack;
                    }
                    peerWindow = (long) Packets.u16(f, t + 14) << 4;
                }
                if (data > 0 && seq == rcvNxt) {
                    rcvNxt += data;
                    received += data;
                    unacked += data;
                    // delayed ACK as Linux does it: every second full segment, or at the end of a burst
                    ackNow = ackNow || unacked >= 2 * 1460 || data < 1460;
                } else if (data > 0) {
                    ackNow = true; // a retransmission or a gap: tell the stack where we are
                }
                if ((flags & Packets.FIN) != 0 && seq + data == rcvNxt) {
                    rcvNxt++;
                    finReceived = true;
                    ackNow = true;
                }
                notifyAll();
            }
            if (ackNow) {
                synchronized (this) {
                    unacked = 0;
                }
                send(Packets.tcp(StackConfig.GATEWAY_MAC, MAC, IP, GATEWAY, port, remotePort, sndNxt, rcvNxt,
                        Packets.ACK, windowField(), null, null, 0, 0));
            }
        }
    }

    Flow flow(int port, int remotePort, int window) {
        return new Flow(port, remotePort, window);
    }

    void send(byte[] frame) throws IOException {
        synchronized (link) {
            LinkFramesForTests.write(link, frame);
        }
    }

    private void read() {
        ByteBuffer in = ByteBuffer.allocate(1 << 20);
        try {
            while (!closed) {
                if (link.read(in) < 0) {
                    return;
                }
                in.flip();
                while (in.remaining() >= 4 && in.remaining() >= 4 + in.getInt(in.position())) {
                    int len = in.getInt();
                    byte[] f = new byte[len];
                    in.get(f);
                    dispatch(f);
                }
                in.compact();
            }
        } catch (IOException e) {
            // closed
        }
    }

    private void dispatch(byte[] f) throws IOException {
        if (f.length < 54 || Packets.u16(f, 12) != Packets.ETHERTYPE_IPV4 || f[23] != Packets.PROTO_TCP) {
            return;
        }
        int t = 14 + (f[14] & 0xf) * 4;
        Flow flow = flows.get(Packets.u16(f, t + 2));
        if (flow != null) {
            flow.segment(f, t, Packets.u16(f, 16) - (t - 14));
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        link.close();
    }
}
