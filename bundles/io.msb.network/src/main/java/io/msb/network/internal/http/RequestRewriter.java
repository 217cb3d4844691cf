package io.msb.network.internal.http;

import io.msb.api.network.SecretEntry;
import io.msb.api.network.SecretsConfig;
import io.msb.api.network.ViolationAction;
import io.msb.network.internal.intercept.HostNames;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Forwards the guest's HTTP/1.1 requests of one connection (keep-alive: any number, one after the other), putting
 * secrets in place of their placeholders where the entry allows the request's host, and refusing requests that
 * would carry a placeholder elsewhere. The guest is untrusted: a request head is at most {@link #MAX_HEAD} bytes
 * and {@link #MAX_HEADERS} headers, bodies are streamed, and only a body a secret goes into is held in memory
 * (at most {@link #MAX_REWRITTEN_BODY}). Text is handled as ISO-8859-1 so every byte passes unchanged.
 * Responses are not this class's business: they go back to the guest untouched.
 */
public final class RequestRewriter {
    public static final int MAX_HEAD = 64 * 1024;
    public static final int MAX_HEADERS = 256;
    public static final int MAX_REWRITTEN_BODY = 16 * 1024 * 1024;
    static final int MAX_CHUNK_LINE = 4096;
    private static final int COPY = 16 * 1024;

    /** What the proxy decides for a request: strict hostname policy and secret violations. */
    public interface Policy {
        /** Refuses a request whose authority (Host, or the CONNECT target; null if none) strict policy does not allow. */
        void authority(String host, boolean connect) throws Refusal;

        /**
         * A placeholder is bound for {@code host}, which {@code entry} does not allow, and its action blocks: log,
         * terminate, as the action says (the request is refused by the caller).
         */
        void violation(SecretEntry entry, String host, ViolationAction action);
    }

    private enum Use { SUBSTITUTE, REFUSE, LEAVE }

    private final SecretsConfig secrets;
    private final String tlsName;
    private final Policy policy;

    /**
     * @param tlsName the TLS server name the guest asked for when the flow is intercepted TLS, null for plain HTTP
     *        (entries that require a TLS identity are then never substituted)
     */
    public RequestRewriter(SecretsConfig secrets, String tlsName, Policy policy) {
        this.secrets = secrets;
        this.tlsName = tlsName;
        this.policy = policy;
    }

    /**
     * Forwards requests from {@code guest} to {@code upstream} until the guest ends its side; after a CONNECT or
     * an Upgrade request the rest is copied unchanged (it is no longer HTTP/1.1).
     *
     * @throws Refusal for a request that must not go on (nothing of it has been sent, except a body too large to
     *         hold, whose upstream connection must then be dropped)
     */
    public void forward(InputStream guest, OutputStream upstream) throws IOException, Refusal {
        forward(guest, upstream, null);
    }

    /**
     * {@link #forward(InputStream, OutputStream)}, answering {@code Expect: 100-continue} itself through
     * {@code toGuest} when it must hold a body before anything goes upstream (the server cannot ask for it then).
     */
    public void forward(InputStream guest, OutputStream upstream, GuestWriter toGuest) throws IOException, Refusal {
        InputStream in = new BufferedInputStream(guest, COPY);
        Head head;
        while ((head = Head.read(in)) != null) {
            boolean raw = forward(head, in, upstream, toGuest);
            upstream.flush();
            if (raw) {
                in.transferTo(upstream);
                upstream.flush();
                return;
            }
        }
    }

    /** Writes an interim response to the guest. */
    public interface GuestWriter {
        void write(byte[] response) throws IOException;
    }

    /** Forwards one request; true if the stream is raw from here on. */
    private boolean forward(Head head, InputStream in, OutputStream upstream, GuestWriter toGuest)
            throws IOException, Refusal {
        boolean connect = head.method().equals("CONNECT");
        String host = HostNames.host(connect ? head.target() : head.host());
        policy.authority(host, connect);
        if (tlsName == null && host == null) {
            throw new Refusal(400, "msb: the request names no valid host");
        }
        Framing framing = Framing.of(head);
        boolean encoded = head.value("content-encoding") != null
                && !head.value("content-encoding").equalsIgnoreCase("identity");
        List<Decision> decisions = rewriteHead(head, host);
        List<SecretEntry> inBody = new ArrayList<>();
        List<Decision> bodyUse = new ArrayList<>();
        for (int i = 0; i < decisions.size(); i++) {
            SecretEntry e = secrets.entries().get(i);
            Decision d = decisions.get(i);
            if (e.injection().body() && d.use() != Use.LEAVE && framing != Framing.NONE && !encoded) {
                inBody.add(e);
                bodyUse.add(d);
            }
        }
        byte[][] needles = new byte[inBody.size()][];
        byte[][] values = new byte[inBody.size()][];
        for (int i = 0; i < needles.length; i++) {
            needles[i] = inBody.get(i).placeholder().getBytes(StandardCharsets.UTF_8);
            values[i] = bodyUse.get(i).use() == Use.SUBSTITUTE
                    ? inBody.get(i).value().getBytes(StandardCharsets.UTF_8) : null;
        }
        try {
            switch (framing) {
                case NONE -> head.writeTo(upstream);
                case CHUNKED -> {
                    head.writeTo(upstream);
                    chunked(in, upstream, new Replacer(needles, values));
                }
                case LENGTH -> length(head, in, upstream, needles, values, toGuest);
            }
        } catch (Replacer.Found f) {
            SecretEntry e = inBody.get(f.needle);
            if (bodyUse.get(f.needle).use() == Use.SUBSTITUTE) {
                throw new Refusal(403, "msb: the body carries the placeholder for " + e.envVar()
                        + " but is larger than " + MAX_REWRITTEN_BODY + " bytes; the request was blocked");
            }
            refuse(e, bodyUse.get(f.needle).host());
        }
        return connect || head.value("upgrade") != null;
    }

    /**
     * The part of a request both HTTP versions share: each entry's decision for {@code host}; a refusal for a
     * placeholder bound where its entry does not allow; values put in where it does.
     */
    private List<Decision> rewriteHead(Head head, String host) throws Refusal {
        List<Decision> decisions = new ArrayList<>();
        for (SecretEntry e : secrets.entries()) {
            Decision d = decide(e, host);
            String ph = latin1(e.placeholder());
            if (d.use() == Use.REFUSE && head.carries(ph, e.injection().basicAuth())) {
                refuse(e, d.host());
            }
            if (d.use() == Use.SUBSTITUTE) {
                head.substitute(ph, latin1(e.value()), e);
            }
            decisions.add(d);
        }
        return decisions;
    }

    /**
     * One HTTP/2 request's header fields (decision 1309), rewritten in place as an HTTP/1.1 head would be: strict
     * policy looks at its {@code :authority} (else {@code host}), placeholders are substituted or refused (the
     * query of {@code :path} as a request target's). Fields are [name, value] as ISO-8859-1 text.
     *
     * @return what the stream's DATA must be looked at with
     * @throws Refusal the stream must not go upstream
     */
    public BodyScan rewriteFields(List<String[]> fields) throws Refusal {
        Head head = new Head();
        String[] path = null;
        String authority = null;
        String hostField = null;
        for (String[] f : fields) {
            switch (f[0]) {
                case ":path" -> path = f;
                case ":method" -> head.method = f[1];
                case ":authority" -> authority = f[1];
                case "host" -> hostField = f[1];
                default -> { }
            }
            if (f != path) {
                head.headers.add(f); // the same arrays: substitution changes the fields
            }
        }
        head.target = path == null ? "" : path[1];
        if (head.method == null) {
            throw new Refusal(400, "msb: an HTTP/2 request without :method");
        }
        boolean connect = head.method.equals("CONNECT");
        String host = HostNames.host(authority != null ? authority : hostField);
        if (authority != null && hostField != null && !authority.equalsIgnoreCase(hostField)) {
            throw new Refusal(400, "msb: :authority and host differ");
        }
        policy.authority(host, connect);
        if (tlsName == null && host == null) {
            throw new Refusal(400, "msb: the request names no valid host");
        }
        List<Decision> decisions = rewriteHead(head, host);
        if (path != null) {
            path[1] = head.target;
        }
        List<SecretEntry> watched = new ArrayList<>();
        List<Decision> uses = new ArrayList<>();
        for (int i = 0; i < decisions.size(); i++) {
            if (decisions.get(i).use() != Use.LEAVE) {
                watched.add(secrets.entries().get(i));
                uses.add(decisions.get(i));
            }
        }
        return new BodyScan(host, watched, uses);
    }

    /** An HTTP/2 stream's trailers, rewritten in place as its head was, for the same host. */
    public BodyScan rewriteTrailers(List<String[]> fields, BodyScan stream) throws Refusal {
        Head head = new Head();
        head.method = "";
        head.target = "";
        head.headers.addAll(fields);
        rewriteHead(head, stream.host);
        return stream;
    }

    /**
     * Looks at an HTTP/2 stream's DATA as it passes (unchanged): a placeholder in it, whole or split across frames,
     * refuses the stream (microsandbox: "HTTP/2 body placeholders are blocked"); a violation if its entry does not
     * allow the request's host. At most the longest placeholder less one byte is remembered between frames.
     */
    public final class BodyScan {
        private final String host;
        private final List<SecretEntry> entries;
        private final List<Decision> uses;
        private final Replacer scan;

        private BodyScan(String host, List<SecretEntry> entries, List<Decision> uses) {
            this.host = host;
            this.entries = entries;
            this.uses = uses;
            byte[][] needles = new byte[entries.size()][];
            for (int i = 0; i < needles.length; i++) {
                needles[i] = entries.get(i).placeholder().getBytes(StandardCharsets.UTF_8);
            }
            this.scan = new Replacer(needles, new byte[needles.length][]);
        }

        /** The next DATA bytes of the stream. */
        public void feed(byte[] b, int off, int len) throws Refusal {
            if (scan.isEmpty()) {
                return;
            }
            try {
                scan.feed(b, off, len, OutputStream.nullOutputStream());
            } catch (Replacer.Found f) {
                SecretEntry e = entries.get(f.needle);
                if (uses.get(f.needle).use() == Use.REFUSE) {
                    refuse(e, uses.get(f.needle).host());
                }
                throw new Refusal(403, "msb: HTTP/2 body placeholders are blocked (" + e.envVar() + ")");
            } catch (IOException cannot) {
                throw new IllegalStateException(cannot);
            }
        }
    }

    /** What to do with an entry's placeholder in a request, and the host that decided it. */
    private record Decision(Use use, String host) {
    }

    /**
     * Substitute only if every name the request gives is allowed: the SNI (the name upstream was verified for) and
     * a Host header that differs from it, which a shared front end (a CDN) would route by.
     */
    private Decision decide(SecretEntry e, String host) {
        String refusedAt = e.requireTlsIdentity() && tlsName == null ? host
                : tlsName != null && !e.allows(tlsName) ? tlsName
                : host != null && !e.allows(host) ? host : null;
        if (refusedAt == null) {
            return new Decision(Use.SUBSTITUTE, tlsName != null ? tlsName : host);
        }
        return new Decision(secrets.actionFor(e).passesThrough(refusedAt) ? Use.LEAVE : Use.REFUSE, refusedAt);
    }

    private void refuse(SecretEntry e, String host) throws Refusal {
        ViolationAction action = secrets.actionFor(e);
        policy.violation(e, host, action);
        throw new Refusal(403, "msb: refused to send the placeholder for " + e.envVar() + " to " + host);
    }

    private static void length(Head head, InputStream in, OutputStream out, byte[][] needles, byte[][] values,
            GuestWriter toGuest) throws IOException, Refusal, Replacer.Found {
        long length = head.contentLength();
        Replacer r = new Replacer(needles, values);
        if (r.isEmpty()) {
            head.writeTo(out);
            copy(in, out, length, null);
        } else if (length <= MAX_REWRITTEN_BODY) {
            String expect = head.value("expect");
            if (toGuest != null && expect != null && expect.equalsIgnoreCase("100-continue")) {
                head.remove("expect"); // the body is held here first: the guest hears "continue" from us
                toGuest.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream((int) Math.min(length, COPY));
            copy(in, body, length, null);
            ByteArrayOutputStream rewritten = new ByteArrayOutputStream(body.size());
            r.feed(body.toByteArray(), 0, body.size(), rewritten);
            r.finish(rewritten);
            head.set("Content-Length", Integer.toString(rewritten.size()));
            head.writeTo(out);
            rewritten.writeTo(out);
        } else {
            // too large to hold: scanned on its way, and a placeholder found in it blocks what is left of it
            Replacer scan = new Replacer(needles, new byte[needles.length][]);
            head.writeTo(out);
            copy(in, out, length, scan);
            scan.finish(out);
        }
    }

    /** Copies exactly {@code length} bytes, through {@code r} if given. */
    private static void copy(InputStream in, OutputStream out, long length, Replacer r)
            throws IOException, Replacer.Found {
        byte[] buf = new byte[(int) Math.min(COPY, Math.max(1, length))];
        long left = length;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw new IOException("the guest ended a request body early");
            }
            if (r == null) {
                out.write(buf, 0, n);
            } else {
                r.feed(buf, 0, n, out);
            }
            left -= n;
        }
    }

    /** Decodes a chunked body and encodes it again with what {@code r} makes of the data; trailers pass unchanged. */
    private static void chunked(InputStream in, OutputStream out, Replacer r) throws IOException, Refusal,
            Replacer.Found {
        OutputStream chunks = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (len > 0) {
                    out.write((Integer.toHexString(len) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(b, off, len);
                    out.write(Head.CRLF);
                }
            }
        };
        while (true) {
            String line = Head.line(in, MAX_CHUNK_LINE);
            if (line == null) {
                throw new IOException("the guest ended a chunked body early");
            }
            int semi = line.indexOf(';');
            String hex = (semi < 0 ? line : line.substring(0, semi)).trim();
            if (hex.isEmpty() || hex.length() > 15 || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                throw new Refusal(400, "msb: bad chunk size");
            }
            long size = Long.parseLong(hex, 16);
            if (size == 0) {
                break;
            }
            copy(in, chunks, size, r);
            String end = Head.line(in, 2);
            if (end == null || !end.isEmpty()) {
                throw new Refusal(400, "msb: a chunk does not end with CRLF");
            }
        }
        r.finish(chunks);
        out.write('0');
        out.write(Head.CRLF);
        int size = 0;
        for (int n = 0; ; n++) { // trailers, then the empty line
            String t = Head.line(in, MAX_HEAD);
            if (t == null) {
                throw new IOException("the guest ended a chunked body early");
            }
            size += t.length() + 2;
            if (n > MAX_HEADERS || size > MAX_HEAD) {
                throw new Refusal(400, "msb: too many or too large trailers");
            }
            out.write(t.getBytes(StandardCharsets.ISO_8859_1));
            out.write(Head.CRLF);
            if (t.isEmpty()) {
                return;
            }
        }
    }

    static String latin1(String utf16) {
        return new String(utf16.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    /** How a request's body is delimited. */
    private enum Framing {
        NONE, LENGTH, CHUNKED;

        static Framing of(Head head) throws Refusal {
            String te = head.value("transfer-encoding");
            boolean hasLength = head.value("content-length") != null;
            if (te != null) {
                if (!te.trim().equalsIgnoreCase("chunked") || hasLength) {
                    // anything else is how requests are smuggled past a proxy
                    throw new Refusal(400, "msb: only Transfer-Encoding: chunked, without Content-Length, is accepted");
                }
                return CHUNKED;
            }
            return hasLength ? LENGTH : NONE;
        }
    }

    /** A request line and its headers, as ISO-8859-1 text. */
    static final class Head {
        static final byte[] CRLF = {'\r', '\n'};
        private String method;
        private String target;
        private String version;
        private final List<String[]> headers = new ArrayList<>();

        String method() {
            return method;
        }

        String target() {
            return target;
        }

        /** Reads the next request head; null if the guest closed between requests. */
        static Head read(InputStream in) throws IOException, Refusal {
            Head h = new Head();
            int size = 0;
            String first;
            int blank = 0;
            do { // a client may send a CRLF or two between requests
                first = line(in, MAX_HEAD);
                if (first == null) {
                    return null;
                }
                size += first.length() + 2;
            } while (first.isEmpty() && ++blank < 4);
            String[] parts = first.split(" ", -1);
            if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty()
                    || !(parts[2].equals("HTTP/1.1") || parts[2].equals("HTTP/1.0"))) {
                throw new Refusal(400, "msb: not an HTTP/1.1 request line");
            }
            h.method = parts[0];
            h.target = parts[1];
            h.version = parts[2];
            while (true) {
                String line = line(in, MAX_HEAD - size);
                if (line == null) {
                    throw new IOException("the guest ended a request head early");
                }
                size += line.length() + 2;
                if (line.isEmpty()) {
                    return h;
                }
                int colon = line.indexOf(':');
                if (colon <= 0 || line.charAt(0) == ' ' || line.charAt(0) == '\t'
                        || line.substring(0, colon).indexOf(' ') >= 0) {
                    throw new Refusal(400, "msb: a malformed header line");
                }
                if (h.headers.size() == MAX_HEADERS) {
                    throw new Refusal(400, "msb: more than " + MAX_HEADERS + " headers");
                }
                h.headers.add(new String[] {line.substring(0, colon), line.substring(colon + 1).trim()});
            }
        }

        /**
         * A line without its LF (and CR); null at the end of the stream before any byte.
         *
         * @throws Refusal if the line is longer than {@code max} bytes
         */
        static String line(InputStream in, int max) throws IOException, Refusal {
            StringBuilder b = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0) {
                if (c == '\n') {
                    int len = b.length();
                    return len > 0 && b.charAt(len - 1) == '\r' ? b.substring(0, len - 1) : b.toString();
                }
                if (b.length() >= max) {
                    throw new Refusal(400, "msb: a request line or header is too large (the head is limited to "
                            + MAX_HEAD + " bytes)");
                }
                b.append((char) c);
            }
            if (b.length() == 0) {
                return null;
            }
            throw new IOException("the guest ended a line early");
        }

        /** The value of the header called {@code name}; null if absent; a refusal if given twice with other values. */
        String value(String name) throws Refusal {
            String found = null;
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    if (found != null && !found.equals(h[1])) {
                        throw new Refusal(400, "msb: conflicting " + name + " headers");
                    }
                    found = h[1];
                }
            }
            return found;
        }

        String host() throws Refusal {
            String host = value("host");
            if (host == null && target.regionMatches(true, 0, "http://", 0, 7)) {
                int end = target.indexOf('/', 7);
                host = target.substring(7, end < 0 ? target.length() : end);
            }
            return host;
        }

        long contentLength() throws Refusal {
            String v = value("content-length");
            if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(Character::isDigit)) {
                throw new Refusal(400, "msb: a bad Content-Length");
            }
            return Long.parseLong(v);
        }

        void remove(String name) {
            headers.removeIf(h -> h[0].equalsIgnoreCase(name));
        }

        void set(String name, String value) {
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    h[1] = value;
                }
            }
        }

        /** Whether the placeholder is anywhere in the head, or in a Basic credential if {@code basic}. */
        boolean carries(String placeholder, boolean basic) {
            if (target.contains(placeholder)) {
                return true;
            }
            for (String[] h : headers) {
                if (h[1].contains(placeholder)) {
                    return true;
                }
                String decoded = basic ? basicCredentials(h) : null;
                if (decoded != null && decoded.contains(placeholder)) {
                    return true;
                }
            }
            return false;
        }

        /** Puts the value where the entry's injection allows; refuses a value that would break the head. */
        void substitute(String placeholder, String value, SecretEntry e) throws Refusal {
            if (e.injection().queryParams()) {
                int q = target.indexOf('?');
                if (q >= 0 && target.indexOf(placeholder, q) >= 0) {
                    target = target.substring(0, q) + target.substring(q).replace(placeholder, value);
                    if (target.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
                        throw new Refusal(403, "msb: the value of " + e.envVar()
                                + " cannot go in a query: it contains spaces or control characters");
                    }
                }
            }
            for (String[] h : headers) {
                String decoded = e.injection().basicAuth() ? basicCredentials(h) : null;
                if (decoded != null && decoded.contains(placeholder)) {
                    String scheme = h[1].substring(0, h[1].indexOf(' '));
                    h[1] = scheme + " " + Base64.getEncoder().encodeToString(
                            decoded.replace(placeholder, value).getBytes(StandardCharsets.ISO_8859_1));
                } else if (e.injection().headers() && h[1].contains(placeholder)) {
                    h[1] = h[1].replace(placeholder, value);
                    if (h[1].indexOf('\r') >= 0 || h[1].indexOf('\n') >= 0 || h[1].indexOf('\0') >= 0) {
                        throw new Refusal(403, "msb: the value of " + e.envVar()
                                + " cannot go in a header: it contains CR, LF or NUL");
                    }
                }
            }
        }

        /** The decoded user:password of an {@code Authorization: Basic} header, else null. */
        private static String basicCredentials(String[] h) {
            if (!h[0].equalsIgnoreCase("authorization") && !h[0].equalsIgnoreCase("proxy-authorization")) {
                return null;
            }
            String v = h[1];
            int sp = v.indexOf(' ');
            if (sp < 0 || !v.substring(0, sp).equalsIgnoreCase("basic")) {
                return null;
            }
            try {
                return new String(Base64.getDecoder().decode(v.substring(sp + 1).trim()), StandardCharsets.ISO_8859_1);
            } catch (IllegalArgumentException notBase64) {
                return null;
            }
        }

        void writeTo(OutputStream out) throws IOException {
            StringBuilder b = new StringBuilder(256).append(method).append(' ').append(target).append(' ')
                    .append(version).append("\r\n");
            for (String[] h : headers) {
                b.append(h[0]).append(": ").append(h[1]).append("\r\n");
            }
            out.write(b.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
        }

        @Override
        public String toString() {
            return "Head[" + method + "]"; // never the headers: they may hold a secret by now
        }
    }
}
