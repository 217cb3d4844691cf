package io.msb.cli.internal;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server side of RFC 6455 on 127.0.0.1, just enough for {@link AgentSocket}'s tests (the JDK has a WebSocket
 * client, no server): one connection, the upgrade (or a refusal with a status and body), frames both ways.
 */
final class LoopbackWebSocketServer implements AutoCloseable {
    static final int BINARY = 2;
    static final int CLOSE = 8;
    static final int PING = 9;
    static final int PONG = 10;
    private static final Pattern KEY = Pattern.compile("(?im)^Sec-WebSocket-Key:\\s*(\\S+)\\s*$");

    /** A frame received from the client, unmasked. */
    record Frame(int opcode, byte[] payload) {
    }

    private final ServerSocket listener;
    private Socket connection;
    private DataInputStream in;
    private OutputStream out;
    /** The request head of the upgrade. */
    String request;

    LoopbackWebSocketServer() throws IOException {
        listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    }

    String url() {
        return "http://127.0.0.1:" + listener.getLocalPort();
    }

    /** Accepts the client's connection and upgrades it. */
    void accept() throws IOException {
        readRequest();
        Matcher key = KEY.matcher(request);
        if (!key.find()) {
            throw new IOException("no Sec-WebSocket-Key in " + request);
        }
        out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: " + accept(key.group(1)) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Accepts the client's connection and refuses the upgrade with {@code status} and a JSON body. */
    void refuse(int status, String json) throws IOException {
        readRequest();
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 " + status + " Refused\r\nContent-Type: application/json\r\nContent-Length: "
            + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        connection.close();
    }

    private void readRequest() throws IOException {
        connection = listener.accept();
        in = new DataInputStream(connection.getInputStream());
        out = connection.getOutputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the client closed during the request head");
            }
            head.append((char) b);
        }
        request = head.toString();
    }

    private static String accept(String key) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1").digest(
                (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(sha1);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Sends one unmasked frame (FIN set). */
    void send(int opcode, byte[] payload) throws IOException {
        out.write(0x80 | opcode);
        if (payload.length < 126) {
            out.write(payload.length);
        } else if (payload.length < 65536) {
            out.write(126);
            out.write(payload.length >> 8);
            out.write(payload.length & 0xff);
        } else {
            out.write(127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                out.write((int) ((long) payload.length >> shift) & 0xff);
            }
        }
        out.write(payload);
        out.flush();
    }

    /** The next frame from the client (masked, as clients must). */
    Frame read() throws IOException {
        int first = in.readUnsignedByte();
        int second = in.readUnsignedByte();
        long length = second & 0x7f;
        if (length == 126) {
            length = in.readUnsignedShort();
        } else if (length == 127) {
            length = in.readLong();
        }
        byte[] mask = new byte[4];
        in.readFully(mask);
        byte[] payload = new byte[Math.toIntExact(length)];
        in.readFully(payload);
        for (int i = 0; i < payload.length; i++) {
            payload[i] ^= mask[i & 3];
        }
        return new Frame(first & 0x0f, payload);
    }

    /** Drops the TCP connection without a Close frame. */
    void drop() throws IOException {
        connection.close();
    }

    @Override
    public void close() throws IOException {
        if (connection != null) {
            connection.close();
        }
        listener.close();
    }
}
