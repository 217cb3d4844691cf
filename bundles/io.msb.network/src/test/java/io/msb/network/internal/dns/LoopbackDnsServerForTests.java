package io.msb.network.internal.dns;

import io.msb.api.spi.DaemonThreads;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * A real UDP DNS server on 127.0.0.1 for tests: answers the names it is given, NXDOMAIN for others, and
 * never answers names in {@link #silent} (to test timeouts). It records every name it was asked.
 */
final class LoopbackDnsServerForTests implements AutoCloseable {
    final DatagramSocket socket;
    final Map<String, List<InetAddress>> answers = new ConcurrentHashMap<>();
    final Set<String> silent = ConcurrentHashMap.newKeySet();
    final Queue<String> asked = new ConcurrentLinkedQueue<>();
    volatile long ttl = 300;
    private final Thread thread;

    LoopbackDnsServerForTests() throws SocketException {
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        thread = DaemonThreads.start("loopback-dns-for-tests", this::serve);
    }

    InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    String nameserver() {
        return "127.0.0.1:" + socket.getLocalPort();
    }

    private void serve() {
        byte[] buf = new byte[65535];
        while (!socket.isClosed()) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(p);
                Message q = new Message(java.util.Arrays.copyOf(p.getData(), p.getLength()));
                Record question = q.getQuestion();
                String name = question.getName().toString(true).toLowerCase(java.util.Locale.ROOT);
                asked.add(name);
                if (silent.contains(name)) {
                    continue;
                }
                Message r = new Message(q.getHeader().getID());
                r.getHeader().setFlag(Flags.QR);
                r.getHeader().setFlag(Flags.RA);
                r.addRecord(question, Section.QUESTION);
                List<InetAddress> found = answers.get(name);
                if (found == null) {
                    r.getHeader().setRcode(Rcode.NXDOMAIN);
                } else {
                    for (InetAddress a : found) {
                        if (question.getType() == Type.A && a.getAddress().length == 4) {
                            r.addRecord(new ARecord(question.getName(), DClass.IN, ttl, a), Section.ANSWER);
                        } else if (question.getType() == Type.AAAA && a.getAddress().length == 16) {
                            r.addRecord(new AAAARecord(question.getName(), DClass.IN, ttl, a), Section.ANSWER);
                        }
                    }
                }
                byte[] out = r.toWire(q.getOPT() == null ? 512 : Math.max(512, q.getOPT().getPayloadSize()));
                socket.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
            } catch (IOException | RuntimeException e) {
                if (socket.isClosed()) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        socket.close();
        thread.join(5000);
    }
}
