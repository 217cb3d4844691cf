package io.msb.network.internal.stack;

import static io.msb.network.internal.stack.Packets.ACK;
import static io.msb.network.internal.stack.Packets.FIN;
import static io.msb.network.internal.stack.Packets.PSH;
import static io.msb.network.internal.stack.Packets.RST;
import static io.msb.network.internal.stack.Packets.SYN;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One guest TCP flow, terminated here and re-originated as a host socket (or, for port 53, answered by the
 * DNS interceptor). Both directions go through a bounded {@link Ring}: we advertise the guest only the free
 * space of the buffer towards the host, and read the host socket only while the buffer towards the guest
 * has room and the guest's window allows sending. Our unacknowledged data stays in that buffer until the
 * guest acknowledges it, and is sent again (go-back-N) when the retransmission timer fires.
 */
final class TcpConnection implements EventLoop.Handler {
    enum State { CONNECTING, SYN_SENT, SYN_RCVD, ESTABLISHED, CLOSED }

    static final long RTO_MIN = 200;
    static final long RTO_MAX = 10_000;
    static final int MAX_RETRIES = 12;
    /** Our window scale: buffers up to 1 MiB fit in the 16-bit window field. */
    static final int OUR_WSCALE = 4;

    final NetStack stack;
    /** The flow's key in the stack's table: a Long for IPv4, a {@link NetStack.Flow6} for IPv6. */
    final Object id;
    final int guestPort;
    final int remoteIp;
    /** The remote end of an IPv6 flow (then {@link #remoteIp} is unused), or null for IPv4. */
    final Packets6.Addr6 remote6;
    final int remotePort;
    final boolean dns;
    State state;
    private SocketChannel host;
    private SelectionKey key;

    // guest -> host
    private final Ring toHost;
    private int rcvNxt;
    private boolean guestFin;
    private boolean hostOutputShut;
    private int lastWindow;
    /** Guest data arrived that no frame of ours has acknowledged yet. */
    private boolean ackDue;
    private int ackedUpTo;
    private EventLoop.Timer ackTimer;
    static final int ACK_EVERY_BYTES = 64 * 1024;
    static final long ACK_DELAY_MILLIS = 5;

    // host -> guest
    private final Ring toGuest;
    private final int iss;
    private int sndUna;
    private int sndNxt;
    private boolean hostEof;
    private boolean finSent;
    private boolean finAcked;
    private long guestWindow;
    private int guestMss = 536;
    private int guestWscale = -1;

    private EventLoop.Timer timer;
    private long rto = RTO_MIN;
    private int retries;
    private boolean dnsPending;

    TcpConnection(NetStack stack, long id, int guestPort, int remoteIp, int remotePort, boolean dns, int buffer) {
        this(stack, id, guestPort, remoteIp, null, remotePort, dns, buffer);
    }

    TcpConnection(NetStack stack, Object id, int guestPort, int remoteIp, Packets6.Addr6 remote6, int remotePort,
            boolean dns, int buffer) {
        this.stack = stack;
        this.id = id;
        this.guestPort = guestPort;
        this.remoteIp = remoteIp;
        this.remote6 = remote6;
        this.remotePort = remotePort;
        this.dns = dns;
        this.toHost = new Ring(buffer);
        this.toGuest = new Ring(buffer);
        this.iss = ThreadLocalRandom.current().nextInt();
        this.sndUna = iss;
        this.sndNxt = iss + 1;
    }

    // ---- opening

    /** The guest's SYN for an outgoing flow: dial (or, for DNS, answer right away). */
    void guestSyn(int seq, int window, byte[] seg, int off, int optEnd, SocketChannel dialed) throws IOException {
        rcvNxt = seq + 1;
        synOptions(seg, off, optEnd);
        guestWindow = window;
        if (dns) {
            state = State.SYN_RCVD;
            sendSynAck();
            return;
        }
        host = dialed;
        state = State.CONNECTING;
        key = stack.loop.register(host, SelectionKey.OP_CONNECT, this);
        if (host.isConnected()) {
            connected();
        }
    }

    /** A published port's accepted socket: open towards the guest with our SYN. */
    void ingress(SocketChannel accepted) throws IOException {
        host = accepted;
        host.configureBlocking(false);
        host.setOption(StandardSocketOptions.TCP_NODELAY, true);
        key = stack.loop.register(host, 0, this);
        state = State.SYN_SENT;
        sendSyn();
    }

    private void synOptions(byte[] seg, int off, int end) {
        int i = off + Packets.TCP;
        boolean scale = false;
        while (i < end) {
            int kind = seg[i] & 0xff;
            if (kind == 0) {
                break;
            }
            if (kind == 1) {
                i++;
                continue;
            }
            if (i + 1 >= end) {
                break;
            }
            int len = seg[i + 1] & 0xff;
            if (len < 2 || i + len > end) {
                break;
            }
            if (kind == 2 && len == 4) {
                guestMss = Math.max(64, Math.min(mss(), Packets.u16(seg, i + 2)));
            } else if (kind == 3 && len == 3) {
                guestWscale = Math.min(14, seg[i + 2] & 0xff);
                scale = true;
            }
            i += len;
        }
        if (!scale) {
            guestWscale = -1;
        }
    }

    /** The largest payload of one frame: IPv6's header is 20 bytes longer than IPv4's. */
    private int mss() {
        return remote6 == null ? stack.mss() : stack.mss() - (Packets6.IP6 - Packets.IP);
    }

    /** Resets a guest segment that acknowledged something we never sent. */
    private void rst(int ack) {
        if (remote6 == null) {
            stack.rstFor(guestPort, remoteIp, remotePort, ack, 0, false);
        } else {
            stack.rstFor6(guestPort, remote6, remotePort, ack, 0, false);
        }
    }

    private int ourScale() {
        return guestWscale < 0 ? 0 : OUR_WSCALE;
    }

    private int advertised() {
        int w = toHost.free() >> ourScale();
        return Math.min(w, 0xffff);
    }

    private void sendSynAck() {
        stack.control(frame(iss, rcvNxt, SYN | ACK, Packets.synOptions(mss(), guestWscale < 0 ? -1 : OUR_WSCALE),
                null, 0, 0));
        arm();
    }

    private void sendSyn() {
        stack.control(frame(iss, 0, SYN, Packets.synOptions(mss(), OUR_WSCALE), null, 0, 0));
        arm();
    }

    private void connected() {
        state = State.SYN_RCVD;
        sendSynAck();
        interest();
    }

    // ---- host socket events

    @Override
    public void ready(SelectionKey k) throws IOException {
        if (k.isConnectable()) {
            EventLoop.Handler.finishConnect(host, this::connected, () -> stack.refuseTcp(this, rcvNxt));
            return;
        }
        if (k.isWritable()) {
            toHostFlush();
        }
        if (state != State.CLOSED && k.isValid() && k.isReadable()) {
            int n;
            try {
                n = toGuest.readFrom(host);
            } catch (IOException e) {
                abort();
                return;
            }
            if (n < 0) {
                hostEof = true;
            }
            pump();
        }
        interest();
    }

    @Override
    public void failed(Throwable error) {
        abort();
    }

    private void interest() {
        if (key == null || !key.isValid() || state == State.CLOSED) {
            return;
        }
        int ops = 0;
        if (state == State.CONNECTING) {
            ops = SelectionKey.OP_CONNECT;
        } else {
            if (state == State.ESTABLISHED && !hostEof && toGuest.free() > 0) {
                ops |= SelectionKey.OP_READ;
            }
            if (toHost.size() > 0) {
                ops |= SelectionKey.OP_WRITE;
            }
        }
        key.interestOps(ops);
    }

    private void toHostFlush() throws IOException {
        if (dns) {
            dnsQuery();
        } else if (toHost.size() > 0) {
            try {
                toHost.writeTo(host);
            } catch (IOException e) {
                abort();
                return;
            }
        }
        if (guestFin && toHost.size() == 0 && !hostOutputShut) {
            hostOutputShut = true;
            if (dns) {
                hostEof = !dnsPending;
            } else {
                try {
                    host.shutdownOutput();
                } catch (IOException e) {
                    abort();
                    return;
                }
            }
        }
        // tell the guest about reopened space once a useful amount is free again
        int w = advertised();
        if (state == State.ESTABLISHED && lastWindow < (guestMss >> ourScale()) && w > lastWindow
                && w >= Math.min(toHost.capacity() / 2, 0xffff << ourScale()) >> ourScale()) {
            sendAck();
        }
        maybeClose();
    }

    // ---- segments from the guest

    void segment(int seq, int ack, int flags, int window, byte[] seg, int off, int hdrLen, int len) throws IOException {
        if ((flags & RST) != 0) {
            if (state == State.SYN_SENT ? (flags & ACK) != 0 && ack == iss + 1 : inWindow(seq)) {
                closeHost(true);
                stack.remove(this);
            }
            return;
        }
        if (state == State.SYN_SENT) {
            if ((flags & (SYN | ACK)) == (SYN | ACK) && ack == iss + 1) {
                rcvNxt = seq + 1;
                synOptions(seg, off, off + hdrLen);
                sndUna = ack;
                guestWindow = (long) window;
                state = State.ESTABLISHED;
                disarm();
                sendAck();
                interest();
            } else if ((flags & ACK) != 0) {
                rst(ack);
            }
            return;
        }
        if ((flags & SYN) != 0) {
            if (state == State.SYN_RCVD && seq == rcvNxt - 1) {
                sendSynAck(); // the guest did not get our SYN-ACK
            } else {
                sendAck();
            }
            return;
        }
        if ((flags & ACK) == 0) {
            return;
        }
        if (state == State.CONNECTING) {
            return;
        }
        if (state == State.SYN_RCVD) {
            if (ack != iss + 1) {
                rst(ack);
                return;
            }
            sndUna = ack;
            state = State.ESTABLISHED;
            disarm();
            retries = 0;
            interest();
        }
        acknowledged(ack, window);
        int dataLen = len - hdrLen;
        boolean needAck = false;
        if (dataLen > 0) {
            needAck = true;
            int skip = rcvNxt - seq;
            if (skip >= 0 && skip < dataLen) {
                int took = toHost(seg, off + hdrLen + skip, dataLen - skip);
                rcvNxt += took;
                if (took < dataLen - skip) {
                    flags &= ~FIN; // the FIN comes after bytes we dropped
                }
            } else {
                flags &= ~FIN;
            }
        }
        if ((flags & FIN) != 0 && seq + dataLen == rcvNxt && !guestFin) {
            guestFin = true;
            rcvNxt++;
            needAck = true;
        } else if ((flags & FIN) != 0 && guestFin && seq + dataLen == rcvNxt - 1) {
            needAck = true; // a retransmitted FIN
        }
        if ((flags & FIN) != 0 && needAck) {
            sendAck(); // before flushing: flushing may complete the close
            toHostFlush();
        } else if (needAck) {
            // one ACK for all of this flow's segments in the read: a guest under emulation pays per frame,
            // and a data frame sent meanwhile carries the acknowledgement anyway
            if (!ackDue) {
                ackDue = true;
                stack.ackAfterBatch(this);
            }
            toHostFlush();
        }
        if (state != State.CLOSED) {
            pump();
            interest();
            maybeClose();
        }
    }

    /**
     * Takes guest data for the host: straight into the socket while nothing waits before it (no ring array to
     * allocate, fill and drop per segment), the rest into the ring. A write error is left to the ring's flush.
     */
    private int toHost(byte[] b, int off, int len) {
        int direct = 0;
        if (!dns && toHost.size() == 0) {
            try {
                direct = host.write(ByteBuffer.wrap(b, off, len));
            } catch (IOException e) {
                direct = 0;
            }
        }
        return direct + toHost.write(b, off + direct, len - direct);
    }

    private boolean inWindow(int seq) {
        int d = seq - rcvNxt;
        return d >= 0 && d <= Math.max(1, toHost.free());
    }

    private void acknowledged(int ack, int window) {
        guestWindow = (long) window << Math.max(0, guestWscale);
        int acked = ack - sndUna;
        int outstanding = sndNxt - sndUna;
        if (acked <= 0 || acked > outstanding) {
            return;
        }
        int data = Math.min(acked, toGuest.size());
        toGuest.discard(data);
        sndUna = ack;
        if (finSent && ack == sndNxt) {
            finAcked = true;
        }
        retries = 0;
        rto = RTO_MIN;
        disarm();
        if (sndNxt != sndUna) {
            arm();
        }
    }

    // ---- sending to the guest

    /** Sends what the guest's window, the link and the rate limit allow; then FIN if the host is done. */
    void pump() {
        if (state != State.ESTABLISHED) {
            return;
        }
        if (dns && dnsPending) {
            return;
        }
        boolean blocked = false;
        while (true) {
            int sent = sndNxt - sndUna - (finSent ? 1 : 0);
            int unsent = toGuest.size() - sent;
            if (unsent <= 0 || finSent) {
                break;
            }
            long room = guestWindow - sent;
            if (room <= 0) {
                break;
            }
            int n = (int) Math.min(Math.min(unsent, guestMss), room);
            if (n == unsent && n < guestMss && !hostEof && stack.linkBusy()) {
                // corked: a short segment would only queue behind frames still on the link, and the host's
                // next bytes can fill it; a guest under emulation pays per frame, not per byte
                blocked = true;
                break;
            }
            if (!stack.canSend(Packets.ETH + Packets.IP + Packets.TCP + n)) {
                blocked = true;
                break;
            }
            byte[] data = new byte[n];
            toGuest.peek(sent, data, 0, n);
            stack.data(frame(sndNxt, rcvNxt, ACK | PSH, null, data, 0, n));
            sndNxt += n;
        }
        if (!blocked && hostEof && !finSent && sndNxt - sndUna == toGuest.size()) {
            if (stack.canSend(Packets.ETH + Packets.IP + Packets.TCP)) {
                stack.control(frame(sndNxt, rcvNxt, FIN | ACK, null, null, 0, 0));
                finSent = true;
                sndNxt++;
            } else {
                blocked = true;
            }
        }
        if (blocked) {
            stack.waitForLink(this);
        }
        if (timer == null && (sndNxt != sndUna || toGuest.size() > 0)) {
            arm(); // retransmission, or probing a zero window
        }
        maybeClose();
    }

    private void sendAck() {
        stack.control(frame(sndNxt, rcvNxt, ACK, null, null, 0, 0));
    }

    void sendDueAck() {
        if (!ackDue || state == State.CLOSED) {
            return;
        }
        if (rcvNxt - ackedUpTo >= ACK_EVERY_BYTES) {
            sendAck();
        } else if (ackTimer == null) {
            // a little later, as a Linux receiver's delayed ACK: meanwhile the guest's Nagle merges its small writes
            ackTimer = stack.loop.schedule(ACK_DELAY_MILLIS, () -> {
                ackTimer = null;
                if (ackDue && state != State.CLOSED) {
                    sendAck();
                }
            });
        }
    }

    private byte[] frame(int seq, int ack, int flags, byte[] options, byte[] data, int off, int len) {
        if ((flags & ACK) != 0) {
            ackDue = false;
            ackedUpTo = ack;
            if (ackTimer != null) {
                ackTimer.cancel();
                ackTimer = null;
            }
        }
        // every frame tells the guest our window, the SYN-ACK too: a first data segment is no "reopened" window
        lastWindow = advertised();
        int window = (flags & SYN) != 0 ? Math.min(toHost.free(), 0xffff) : lastWindow;
        return remote6 == null
                ? stack.tcpFrame(remoteIp, remotePort, guestPort, seq, ack, flags, window, options, data, off, len)
                : stack.tcpFrame6(remote6, remotePort, guestPort, seq, ack, flags, window, options, data, off, len);
    }

    private void arm() {
        disarm();
        timer = stack.loop.schedule(rto, this::timeout);
    }

    private void disarm() {
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
    }

    private void timeout() {
        timer = null;
        if (state == State.CLOSED) {
            return;
        }
        boolean retransmit = state == State.SYN_RCVD || state == State.SYN_SENT
                || state == State.ESTABLISHED && sndNxt != sndUna;
        if (retransmit && ++retries > MAX_RETRIES) {
            abort();
            return;
        }
        rto = Math.min(RTO_MAX, rto * 2);
        switch (state) {
            case SYN_RCVD -> sendSynAck();
            case SYN_SENT -> sendSyn();
            case ESTABLISHED -> {
                if (retransmit) {
                    sndNxt = sndUna; // go back: resend from the first unacknowledged byte
                    finSent = false;
                    pump();
                } else if (toGuest.size() > 0 && guestWindow == 0) {
                    // zero-window probe: an old sequence number makes the guest answer with its window
                    stack.control(frame(sndUna - 1, rcvNxt, ACK, null, null, 0, 0));
                    arm(); // a guest that keeps its window closed is not dead: no retry is counted
                }
            }
            default -> { }
        }
    }

    // ---- DNS over TCP: messages with a 2-byte length prefix, one query at a time

    private void dnsQuery() {
        if (dnsPending || toHost.size() < 2) {
            return;
        }
        byte[] len = new byte[2];
        toHost.peek(0, len, 0, 2);
        int n = Packets.u16(len, 0);
        if (n == 0) {
            abort();
            return;
        }
        if (toHost.size() < 2 + n) {
            return;
        }
        byte[] query = new byte[n];
        toHost.peek(2, query, 0, n);
        toHost.discard(2 + n);
        dnsPending = true;
        stack.askDns(query, io.msb.network.internal.Protocol.TCP, reply -> {
            dnsPending = false;
            if (state == State.CLOSED) {
                return;
            }
            if (reply == null || reply.length > 0xffff || toGuest.free() < reply.length + 2) {
                abort();
                return;
            }
            toGuest.write(new byte[] {(byte) (reply.length >>> 8), (byte) reply.length}, 0, 2);
            toGuest.write(reply, 0, reply.length);
            if (hostOutputShut) {
                hostEof = true;
            }
            try {
                toHostFlush();
            } catch (IOException e) {
                abort();
                return;
            }
            pump();
        });
    }

    // ---- closing

    private void maybeClose() {
        if (state == State.ESTABLISHED && guestFin && hostOutputShut && finAcked && toHost.size() == 0) {
            closeHost(false);
            stack.remove(this);
        }
    }

    /** Resets both sides. */
    void abort() {
        if (state == State.CLOSED) {
            return;
        }
        if (state != State.CONNECTING) {
            stack.control(frame(sndNxt, rcvNxt, RST | ACK, null, null, 0, 0));
        }
        closeHost(true);
        stack.remove(this);
    }

    /** Closes the host side; {@code reset} makes the host peer see a reset rather than an orderly close. */
    void closeHost(boolean reset) {
        state = State.CLOSED;
        disarm();
        if (host != null) {
            if (reset) {
                try {
                    host.setOption(StandardSocketOptions.SO_LINGER, 0);
                } catch (IOException | UnsupportedOperationException e) {
                    // closing still releases the socket
                }
            }
            GuestLink.closeQuietly(host);
        }
    }
}
