package io.msb.network.internal.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.network.HostPattern;
import io.msb.api.network.Injection;
import io.msb.api.network.SecretEntry;
import io.msb.api.network.SecretsConfig;
import io.msb.api.network.ViolationAction;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestRewriterTest {
    static final String SECRET = "s3cr3t-value";
    static final String PH = "$MSB_API_KEY";

    final List<String> violations = new ArrayList<>();
    final List<String> authorities = new ArrayList<>();

    final RequestRewriter.Policy policy = new RequestRewriter.Policy() {
        @Override
        public void authority(String host, boolean connect) {
            authorities.add(host);
        }

        @Override
        public void violation(SecretEntry entry, String host, ViolationAction action) {
            violations.add(entry.envVar() + "@" + host + ":" + action.kind());
        }
    };

    static SecretEntry entry(Injection injection, ViolationAction action) {
        return new SecretEntry("API_KEY", SECRET, null, null, List.of(HostPattern.exact("api.test")), injection, action,
                true);
    }

    static SecretsConfig secrets(SecretEntry... entries) {
        return new SecretsConfig(List.of(entries), null);
    }

    String forward(SecretsConfig secrets, String tlsName, InputStream in) throws IOException, Refusal {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new RequestRewriter(secrets, tlsName, policy).forward(in, out);
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    String forward(SecretsConfig secrets, String request) throws IOException, Refusal {
        return forward(secrets, "api.test", new ByteArrayInputStream(request.getBytes(StandardCharsets.ISO_8859_1)));
    }

    /** Hands the bytes out in the given pieces, one read each, as TCP segments would. */
    static InputStream pieces(byte[] all, int... cuts) {
        return new InputStream() {
            int pos;
            int cut;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (pos >= all.length) {
                    return -1;
                }
                int end = cut < cuts.length ? cuts[cut] : all.length;
                if (end <= pos) {
                    cut++;
                    end = cut < cuts.length ? cuts[cut] : all.length;
                }
                int n = Math.min(len, Math.max(1, end - pos));
                System.arraycopy(all, pos, b, off, n);
                pos += n;
                if (pos == end) {
                    cut++;
                }
                return n;
            }
        };
    }

    @Test
    void headerPlaceholderSplitAtEveryByteIsSubstituted() throws Exception {
        String req = "GET /v1 HTTP/1.1\r\nHost: api.test\r\nAuthorization: Bearer " + PH + "\r\n\r\n";
        byte[] bytes = req.getBytes(StandardCharsets.ISO_8859_1);
        for (int cut = 1; cut < bytes.length; cut++) {
            String out = forward(secrets(entry(Injection.DEFAULT, null)), "api.test", pieces(bytes, cut));
            assertTrue(out.contains("Authorization: Bearer " + SECRET + "\r\n"), "cut at " + cut + ": " + out);
        }
    }

    @Test
    void bodyPlaceholderSplitAtEveryByteOfAChunkedBodyIsSubstitutedAndReencoded() throws Exception {
        String body = "{\"key\":\"" + PH + "\"}";
        String req = "POST /v1 HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n";
        byte[] bytes = req.getBytes(StandardCharsets.ISO_8859_1);
        SecretsConfig s = secrets(entry(new Injection(true, true, false, true), null));
        for (int cut = 1; cut < bytes.length; cut++) {
            String out = forward(s, "api.test", pieces(bytes, cut));
            assertEquals("{\"key\":\"" + SECRET + "\"}", dechunk(out.substring(out.indexOf("\r\n\r\n") + 4)),
                    "cut at " + cut);
        }
    }

    @Test
    void placeholderSplitAcrossThreeChunksIsSubstituted() throws Exception {
        String req = "POST / HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "4\r\na$MS\r\n5\r\nB_API\r\n6\r\n_KEY b\r\n0\r\nX-Trailer: t\r\n\r\n";
        String out = forward(secrets(entry(new Injection(true, true, false, true), null)), req);
        String tail = out.substring(out.indexOf("\r\n\r\n") + 4);
        assertEquals("a" + SECRET + " b", dechunk(tail));
        assertTrue(tail.endsWith("0\r\nX-Trailer: t\r\n\r\n"), tail);
    }

    @Test
    void contentLengthIsFixedWhenTheBodyChanges() throws Exception {
        String body = "token=" + PH;
        String req = "POST /t HTTP/1.1\r\nHost: api.test\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
        String out = forward(secrets(entry(new Injection(true, true, false, true), null)), req);
        assertTrue(out.contains("Content-Length: " + ("token=" + SECRET).length() + "\r\n"), out);
        assertTrue(out.endsWith("\r\n\r\ntoken=" + SECRET), out);
    }

    @Test
    void aHeldBodyIsContinuedByUsNotByTheServer() throws Exception {
        String body = "token=" + PH;
        String req = "POST /t HTTP/1.1\r\nHost: api.test\r\nExpect: 100-continue\r\nContent-Length: " + body.length()
                + "\r\n\r\n" + body;
        ByteArrayOutputStream up = new ByteArrayOutputStream();
        List<String> interim = new ArrayList<>();
        new RequestRewriter(secrets(entry(new Injection(true, true, false, true), null)), "api.test", policy)
                .forward(new ByteArrayInputStream(req.getBytes(StandardCharsets.ISO_8859_1)), up,
                        r -> interim.add(new String(r, StandardCharsets.US_ASCII)));
        assertEquals(List.of("HTTP/1.1 100 Continue\r\n\r\n"), interim);
        String out = up.toString(StandardCharsets.ISO_8859_1);
        assertFalse(out.toLowerCase().contains("expect:"), out);
        assertTrue(out.endsWith("token=" + SECRET), out);
    }

    @Test
    void bodyIsLeftAloneWithoutBodyInjectionOrWhenEncoded() throws Exception {
        String body = "token=" + PH;
        String plain = "POST /t HTTP/1.1\r\nHost: api.test\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
        assertTrue(forward(secrets(entry(Injection.DEFAULT, null)), plain).endsWith(body));
        String gz = "POST /t HTTP/1.1\r\nHost: api.test\r\nContent-Encoding: gzip\r\nContent-Length: " + body.length()
                + "\r\n\r\n" + body;
        assertTrue(forward(secrets(entry(new Injection(true, true, false, true), null)), gz).endsWith(body));
    }

    @Test
    void bodyLargerThanTheLimitWithAPlaceholderIsBlockedWhileStreaming() throws Exception {
        long length = RequestRewriter.MAX_REWRITTEN_BODY + 1L;
        byte[] head = ("POST /up HTTP/1.1\r\nHost: api.test\r\nContent-Length: " + length + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        byte[] tail = PH.getBytes(StandardCharsets.ISO_8859_1);
        InputStream filler = new InputStream() { // 'x' up to the placeholder at the very end, never all in memory
            long left = length - tail.length;

            @Override
            public int read() {
                return left-- > 0 ? 'x' : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left <= 0) {
                    return -1;
                }
                int n = (int) Math.min(len, left);
                java.util.Arrays.fill(b, off, off + n, (byte) 'x');
                left -= n;
                return n;
            }
        };
        InputStream body = new java.io.SequenceInputStream(filler, new ByteArrayInputStream(tail));
        CountingSink sink = new CountingSink();
        SecretsConfig s = secrets(entry(new Injection(true, true, false, true), null));
        Refusal r = assertThrows(Refusal.class, () -> new RequestRewriter(s, "api.test", policy)
                .forward(new java.io.SequenceInputStream(new ByteArrayInputStream(head), body), sink));
        assertEquals(403, r.status());
        assertTrue(r.getMessage().contains("API_KEY") && !r.getMessage().contains(SECRET), r.getMessage());
        assertTrue(sink.count < head.length + length - tail.length + 1, "the placeholder never went out");
    }

    @Test
    void headerValueWithCrOrLfIsRefused() throws Exception {
        SecretEntry e = new SecretEntry("API_KEY", "a\r\nX-Evil: 1", null, null, List.of(HostPattern.exact("api.test")),
                null, null, true);
        Refusal r = assertThrows(Refusal.class, () -> forward(secrets(e),
                "GET / HTTP/1.1\r\nHost: api.test\r\nX-Key: " + PH + "\r\n\r\n"));
        assertEquals(403, r.status());
        assertFalse(r.getMessage().contains("X-Evil"));
    }

    @Test
    void basicAuthIsDecodedSubstitutedAndEncodedAgain() throws Exception {
        String creds = Base64.getEncoder().encodeToString(("user:" + PH).getBytes(StandardCharsets.UTF_8));
        String out = forward(secrets(entry(Injection.DEFAULT, null)),
                "GET / HTTP/1.1\r\nHost: api.test\r\nAuthorization: Basic " + creds + "\r\n\r\n");
        String expected = Base64.getEncoder().encodeToString(("user:" + SECRET).getBytes(StandardCharsets.UTF_8));
        assertTrue(out.contains("Authorization: Basic " + expected + "\r\n"), out);
    }

    @Test
    void queryParamsOnlyWhenAsked() throws Exception {
        String req = "GET /p?key=" + PH + "&x=1 HTTP/1.1\r\nHost: api.test\r\n\r\n";
        assertTrue(forward(secrets(entry(new Injection(true, true, true, false), null)), req)
                .startsWith("GET /p?key=" + SECRET + "&x=1 HTTP/1.1\r\n"));
        assertTrue(forward(secrets(entry(Injection.DEFAULT, null)), req).startsWith("GET /p?key=" + PH + "&x=1 "));
    }

    @Test
    void keepAliveSecondRequestIsSubstitutedToo() throws Exception {
        String one = "GET /a HTTP/1.1\r\nHost: api.test\r\nX-Key: " + PH + "\r\n\r\n";
        String two = "POST /b HTTP/1.1\r\nHost: api.test\r\nContent-Length: 3\r\nX-Key: k" + PH + "\r\n\r\nabc";
        String out = forward(secrets(entry(Injection.DEFAULT, null)), one + two);
        assertEquals(2, out.split(SECRET, -1).length - 1, out);
        assertTrue(out.contains("X-Key: k" + SECRET + "\r\n") && out.endsWith("\r\n\r\nabc"), out);
        assertFalse(out.contains(PH));
    }

    @Test
    void requestsWithoutSecretsPassUnchanged() throws Exception {
        String req = "GET /a HTTP/1.1\r\nHost: other.test\r\nAccept: */*\r\n\r\n";
        assertEquals(req, forward(SecretsConfig.NONE, "other.test", new ByteArrayInputStream(req.getBytes())));
    }

    @Test
    void placeholderToADisallowedHostTakesTheViolationAction() throws Exception {
        String req = "GET / HTTP/1.1\r\nHost: evil.test\r\nX-Key: " + PH + "\r\n\r\n";
        for (ViolationAction a : List.of(ViolationAction.BLOCK, ViolationAction.BLOCK_AND_LOG,
                ViolationAction.BLOCK_AND_TERMINATE)) {
            violations.clear();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Refusal r = assertThrows(Refusal.class, () -> new RequestRewriter(secrets(entry(Injection.DEFAULT, a)),
                    "evil.test", policy).forward(new ByteArrayInputStream(req.getBytes()), out));
            assertEquals(403, r.status());
            assertEquals(0, out.size(), "nothing went upstream");
            assertEquals(List.of("API_KEY@evil.test:" + a.kind()), violations);
            String response = new String(r.response(), StandardCharsets.UTF_8);
            assertTrue(response.startsWith("HTTP/1.1 403 Forbidden\r\n") && response.contains("API_KEY"), response);
        }
        violations.clear();
        ViolationAction pass = new ViolationAction(ViolationAction.Kind.PASSTHROUGH,
                List.of(HostPattern.exact("evil.test")));
        String out = forward(secrets(entry(Injection.DEFAULT, pass)), "evil.test",
                new ByteArrayInputStream(req.getBytes()));
        assertEquals(req, out);
        assertTrue(violations.isEmpty());
    }

    @Test
    void aHostHeaderOtherThanTheAllowedServerNameIsAViolation() throws Exception {
        String fronted = "GET / HTTP/1.1\r\nHost: evil.test\r\nX-Key: " + PH + "\r\n\r\n";
        Refusal r = assertThrows(Refusal.class, () -> forward(secrets(entry(Injection.DEFAULT, null)), fronted));
        assertTrue(r.getMessage().endsWith("to evil.test"), r.getMessage());
        assertEquals(List.of("API_KEY@evil.test:BLOCK_AND_LOG"), violations);
    }

    @Test
    void requireTlsIdentityKeepsSecretsOffPlainHttp() throws Exception {
        String req = "GET / HTTP/1.1\r\nHost: api.test\r\nX-Key: " + PH + "\r\n\r\n";
        assertThrows(Refusal.class, () -> forward(secrets(entry(Injection.DEFAULT, null)), null,
                new ByteArrayInputStream(req.getBytes())));
        SecretEntry plainOk = new SecretEntry("API_KEY", SECRET, null, null, List.of(HostPattern.exact("api.test")),
                null, null, false);
        assertTrue(forward(secrets(plainOk), null, new ByteArrayInputStream(req.getBytes())).contains(SECRET));
    }

    @Test
    void boundsAndSmugglingAreRefused() {
        String big = "GET / HTTP/1.1\r\nHost: a\r\nX: " + "a".repeat(RequestRewriter.MAX_HEAD) + "\r\n\r\n";
        assertEquals(400, assertThrows(Refusal.class, () -> forward(SecretsConfig.NONE, big)).status());
        StringBuilder many = new StringBuilder("GET / HTTP/1.1\r\nHost: a\r\n");
        for (int i = 0; i < RequestRewriter.MAX_HEADERS; i++) {
            many.append("X-").append(i).append(": 1\r\n");
        }
        assertEquals(400, assertThrows(Refusal.class, () -> forward(SecretsConfig.NONE, many + "\r\n")).status());
        String both = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n";
        assertEquals(400, assertThrows(Refusal.class, () -> forward(SecretsConfig.NONE, both)).status());
        assertEquals(400, assertThrows(Refusal.class, () -> forward(SecretsConfig.NONE, "SSH-2.0-OpenSSH\r\n")).status());
    }

    @Test
    void upgradeLeavesTheRestRaw() throws Exception {
        String req = "GET /ws HTTP/1.1\r\nHost: api.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
        String frames = "not http at all " + PH;
        assertEquals(req + frames, forward(SecretsConfig.NONE, req + frames));
    }

    static String dechunk(String s) {
        StringBuilder out = new StringBuilder();
        int p = 0;
        while (true) {
            int eol = s.indexOf("\r\n", p);
            int size = Integer.parseInt(s.substring(p, eol), 16);
            if (size == 0) {
                return out.toString();
            }
            out.append(s, eol + 2, eol + 2 + size);
            p = eol + 2 + size + 2;
        }
    }

    static final class CountingSink extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }
}
