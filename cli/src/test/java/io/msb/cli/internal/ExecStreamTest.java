package io.msb.cli.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExecStreamTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int play(String ndjson) throws IOException {
        return new ExecStream().play(
            new ByteArrayInputStream(ndjson.getBytes(StandardCharsets.UTF_8)), out, err);
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void writesOutputAndReturnsTheExitCode() throws IOException {
        int status = play("""
            {"type":"started","pid":7}
            {"type":"stdout","data":"%s"}
            {"type":"stderr","data":"%s"}
            {"type":"stdout","data":"%s"}
            {"type":"exit","code":3,"signal":0}
            """.formatted(b64("hello "), b64("err\n"), b64("world\n")));
        assertEquals(3, status);
        assertEquals("hello world\n", out.toString(StandardCharsets.UTF_8));
        assertEquals("err\n", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void binaryOutputPassesUnchanged() throws IOException {
        byte[] bytes = new byte[256];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) i;
        }
        play("{\"type\":\"stdout\",\"data\":\"" + Base64.getEncoder().encodeToString(bytes) + "\"}\n{\"type\":\"exit\",\"code\":0}\n");
        assertArrayEquals(bytes, out.toByteArray());
    }

    @Test
    void eachChunkIsFlushedAsItArrives() throws IOException {
        List<String> flushed = new ArrayList<>();
        OutputStream recording = new ByteArrayOutputStream() {
            @Override
            public void flush() {
                flushed.add(toString(StandardCharsets.UTF_8));
            }
        };
        new ExecStream().play(new ByteArrayInputStream(("{\"type\":\"stdout\",\"data\":\"" + b64("a")
            + "\"}\n{\"type\":\"stdout\",\"data\":\"" + b64("b") + "\"}\n{\"type\":\"exit\",\"code\":0}\n")
            .getBytes(StandardCharsets.UTF_8)), recording, err);
        assertEquals(List.of("a", "ab"), flushed);
    }

    @Test
    void aSignalBecomes128PlusItsNumber() throws IOException {
        assertEquals(137, play("{\"type\":\"exit\",\"code\":137,\"signal\":9}\n"));
        assertEquals(143, play("{\"type\":\"exit\",\"code\":0,\"signal\":15}\n"));
    }

    @Test
    void errorKindsMapToDockersStatuses() {
        CliException notFound = assertThrows(CliException.class,
            () -> play("{\"type\":\"error\",\"kind\":\"not_found\",\"message\":\"nope: not found\"}\n"));
        assertEquals(127, notFound.exitStatus());
        assertEquals("nope: not found", notFound.getMessage());
        assertEquals(127, ExecStream.failureStatus("NOT_FOUND"));
        assertEquals(126, ExecStream.failureStatus("permission_denied"));
        assertEquals(126, ExecStream.failureStatus("not_executable"));
        assertEquals(126, ExecStream.failureStatus("bad_cwd"));
        assertEquals(126, ExecStream.failureStatus("out_of_memory"));
        assertEquals(137, ExecStream.failureStatus("output_limit"));
        assertEquals(125, ExecStream.failureStatus("something_new"));
    }

    @Test
    void controlCharactersInAnErrorMessageAreNeutralised() {
        CliException e = assertThrows(CliException.class,
            () -> play("{\"type\":\"error\",\"kind\":\"other\",\"message\":\"bad\\u001b[2Jthing\"}\n"));
        assertEquals("bad?[2Jthing", e.getMessage());
    }

    @Test
    void aStreamWithoutAnExitIsAnError() {
        CliException e = assertThrows(CliException.class,
            () -> play("{\"type\":\"stdout\",\"data\":\"" + b64("partial") + "\"}\n"));
        assertEquals(125, e.exitStatus());
        assertTrue(e.getMessage().contains("ended before"), e.getMessage());
        assertEquals("partial", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void invalidEventsAreRejectedNamingTheField() {
        assertMessage("data: must be base64", "{\"type\":\"stdout\",\"data\":\"not base64!\"}\n");
        assertMessage("data: must be a string", "{\"type\":\"stderr\",\"data\":5}\n");
        assertMessage("type: must be a string", "{\"data\":\"\"}\n");
        assertMessage("not JSON", "{oops\n");
        assertMessage("code: must be an integer 0..255", "{\"type\":\"exit\",\"code\":256}\n");
        assertMessage("code: must be an integer 0..255", "{\"type\":\"exit\",\"code\":\"0\"}\n");
        assertMessage("signal: must be an integer 0..127", "{\"type\":\"exit\",\"code\":0,\"signal\":-1}\n");
        assertMessage("kind: must be a string", "{\"type\":\"error\",\"message\":\"x\"}\n");
    }

    @Test
    void anOverlongLineIsRefusedWithoutBufferingItAll() {
        byte[] line = new byte[ExecStream.MAX_LINE + 10];
        java.util.Arrays.fill(line, (byte) 'A');
        CliException e = assertThrows(CliException.class,
            () -> new ExecStream().play(new ByteArrayInputStream(line), out, err));
        assertTrue(e.getMessage().contains("longer than 8 MiB"), e.getMessage());
    }

    @Test
    void unknownEventTypesAndBlankLinesAreSkipped() throws IOException {
        assertEquals(0, play("\n{\"type\":\"progress\",\"x\":1}\n{\"type\":\"exit\",\"code\":0}"));
    }

    private void assertMessage(String expected, String ndjson) {
        CliException e = assertThrows(CliException.class, () -> play(ndjson));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertEquals(125, e.exitStatus());
    }
}
