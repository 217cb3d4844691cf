package io.msb.network.internal.intercept;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The guest's TLS ClientHello, read off the flow before anything is decided: its bytes (to replay to whoever
 * handles the flow) and the server name it asks for. Bounded: the handshake message may span records but not
 * more than {@link #MAX_HELLO} bytes.
 *
 * @param bytes the records read, exactly as they came
 * @param serverName the SNI host name (lower case), or null if there is none or it is not a plausible name
 * @param protocols the ALPN protocol names offered, in the guest's order (empty if it offers none)
 */
record ClientHello(byte[] bytes, String serverName, java.util.List<String> protocols) {
    static final int MAX_HELLO = 64 * 1024;
    static final int HANDSHAKE = 22;

    /** Whether a flow whose first byte is {@code b} speaks TLS. */
    static boolean startsTls(int b) {
        return b == HANDSHAKE;
    }

    /** Reads the records carrying the ClientHello; an IOException if the flow is not TLS or the hello is malformed. */
    static ClientHello read(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        ByteArrayOutputStream raw = new ByteArrayOutputStream(2048);
        ByteArrayOutputStream handshake = new ByteArrayOutputStream(2048);
        int need = -1;
        while (need < 0 || handshake.size() < need) {
            int type = d.readUnsignedByte();
            int major = d.readUnsignedByte();
            int minor = d.readUnsignedByte();
            int len = d.readUnsignedShort();
            if (type != HANDSHAKE || major != 3 || len == 0 || len > 16384 + 256
                    || raw.size() + 5 + len > MAX_HELLO) {
                throw new IOException("not a TLS ClientHello");
            }
            byte[] body = new byte[len];
            d.readFully(body);
            raw.write(new byte[] {(byte) type, (byte) major, (byte) minor, (byte) (len >>> 8), (byte) len});
            raw.write(body);
            handshake.write(body);
            if (need < 0 && handshake.size() >= 4) {
                byte[] h = handshake.toByteArray();
                if (h[0] != 1) {
                    throw new IOException("not a TLS ClientHello");
                }
                need = 4 + ((h[1] & 0xff) << 16 | (h[2] & 0xff) << 8 | h[3] & 0xff);
                if (need > MAX_HELLO) {
                    throw new IOException("a TLS ClientHello larger than " + MAX_HELLO + " bytes");
                }
            }
        }
        byte[] h = handshake.toByteArray();
        java.util.List<String> protocols = new java.util.ArrayList<>();
        return new ClientHello(raw.toByteArray(), extensions(h, need, protocols), java.util.List.copyOf(protocols));
    }

    /** The host_name of the server_name extension, if any; the ALPN names go to {@code protocols}. */
    private static String extensions(byte[] h, int end, java.util.List<String> protocols) throws IOException {
        try {
            int p = 4 + 2 + 32; // header, client_version, random
            p += 1 + (h[p] & 0xff); // session_id
            p += 2 + u16(h, p); // cipher_suites
            p += 1 + (h[p] & 0xff); // compression_methods
            if (p >= end) {
                return null; // no extensions
            }
            int extEnd = Math.min(end, p + 2 + u16(h, p));
            p += 2;
            String serverName = null;
            while (p + 4 <= extEnd) {
                int type = u16(h, p);
                int len = u16(h, p + 2);
                p += 4;
                if (type == 16) { // application_layer_protocol_negotiation: a u16 list of u8-prefixed names
                    int listEnd = Math.min(Math.min(p + len, extEnd), p + 2 + u16(h, p));
                    for (int q = p + 2; q < listEnd && protocols.size() < 32; ) {
                        int n = h[q] & 0xff;
                        if (n == 0 || q + 1 + n > listEnd) {
                            break;
                        }
                        protocols.add(new String(h, q + 1, n, StandardCharsets.ISO_8859_1));
                        q += 1 + n;
                    }
                } else if (type == 0 && serverName == null) {
                    int listEnd = Math.min(p + len, p + 2 + u16(h, p));
                    for (int q = p + 2; q + 3 <= listEnd; ) {
                        int nameLen = u16(h, q + 1);
                        if (h[q] == 0 && q + 3 + nameLen <= listEnd) {
                            String name = new String(h, q + 3, nameLen, StandardCharsets.US_ASCII);
                            String host = HostNames.host(name);
                            serverName = host != null && host.equals(name.toLowerCase(java.util.Locale.ROOT))
                                    && !HostNames.isIpLiteral(host) ? host : null;
                            break;
                        }
                        q += 3 + nameLen;
                    }
                }
                p += len;
            }
            return serverName;
        } catch (ArrayIndexOutOfBoundsException e) {
            throw new EOFException("a truncated TLS ClientHello");
        }
    }

    private static int u16(byte[] b, int i) {
        return (b[i] & 0xff) << 8 | b[i + 1] & 0xff;
    }
}
