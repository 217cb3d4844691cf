package io.msb.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import io.msb.protocol.internal.Codec;
import java.io.ByteArrayInputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameAndCodecTest {
    @Test
    void frameBoundsAreEnforcedOnBothSides() {
        assertThrows(IllegalArgumentException.class, () -> new Frame(1, 0, new byte[Frame.MAX_FRAME_SIZE - 4]));
        assertEquals(Frame.MAX_FRAME_SIZE + 4, new Frame(1, 0, new byte[Frame.MAX_FRAME_SIZE - 5]).wireSize());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Frame(1, 256, new byte[0]));
        assertTrue(e.getMessage().startsWith("flags:"), e.getMessage());
    }

    @Test
    void streamReadHandlesCleanEofAndSequences() throws Exception {
        Frame a = Codec.encode(MessageType.PING, 1, new Core.Ping());
        Frame b = Codec.encode(MessageType.EXEC_EXITED, -2, new Exec.Exited(7));
        byte[] both = new byte[a.wireSize() + b.wireSize()];
        System.arraycopy(a.encode(), 0, both, 0, a.wireSize());
        System.arraycopy(b.encode(), 0, both, a.wireSize(), b.wireSize());
        ByteArrayInputStream in = new ByteArrayInputStream(both);
        assertEquals(a, Frame.read(in));
        Frame rb = Frame.read(in);
        assertEquals(b, rb);
        assertEquals(0xfffffffeL, Integer.toUnsignedLong(rb.id()));
        assertTrue(rb.terminal());
        assertNull(Frame.read(in));
    }

    @Test
    void everyPayloadRoundTrips() {
        Fs.EntryInfo entry = new Fs.EntryInfo("/x", "file", 1, 0100644, 5L, 0, 0, null, 5L);
        List<Object> payloads = List.of(new Core.Ready(1, 2, 3, "v"), new Core.Touched(9),
                new Core.Error(Core.ErrorKind.INVALID_SESSION, "no", null),
                new Exec.Request("sh", List.of("-c", "x"), List.of("A=1"), "/", "root", true, 10, 20,
                        List.of(new Exec.Rlimit("nofile", 1, 2))),
                new Exec.Failed(Exec.FailureKind.OUT_OF_MEMORY, 12, "ENOMEM", "m", "exec"),
                new Exec.Exited(137, 9), new Exec.Stdout(new byte[] { 0, -1 }),
                new Fs.Request(new Fs.OpenFile("/f", new Fs.OpenOptions(true, false, false, false, false, false, 0644))),
                new Fs.Request(new Fs.SetStat("/f", true, new Fs.SetAttrs(1, 2L, 3L, 4L, -5L, 6L))),
                new Fs.Response(true, null, Fs.ResponseData.ofList(List.of(entry))),
                new Fs.Response(true, null, Fs.ResponseData.ofHandle(Long.MAX_VALUE)),
                new Tcp.Connect("example.com", 443), new Tcp.Failed("x"));
        for (Object p : payloads) {
            MessageType anyType = MessageType.EXEC_STDOUT;
            Message m = Codec.decode(Codec.encode(anyType, 1, p));
            Object back = m.payload(p.getClass());
            assertArrayEquals(Codec.encodePayload(p), Codec.encodePayload(back), p.toString());
        }
    }

    @Test
    void invalidPayloadNamesTheField() {
        Message m = Codec.decode(Codec.encodeRaw("core.exec.started", 1, 0, Codec.encodePayload(
                java.util.Map.of("pid", 0))));
        ProtocolException e = assertThrows(ProtocolException.class, () -> m.payload(Exec.Started.class));
        assertEquals(Core.ErrorKind.INVALID_PAYLOAD, e.kind());
        assertTrue(e.getMessage().contains("pid: must be in [1, 4294967295], got 0"), e.getMessage());
        Message s = Codec.decode(Codec.encodeRaw("core.fs.response", 1, 1, Codec.encodePayload(java.util.Map.of(
                "ok", true, "data", java.util.Map.of("Stat", java.util.Map.of("path", "/x", "kind", "socketish", "size", 1, "mode", 1, "uid", 0,
                        "gid", 0))))));
        ProtocolException e2 = assertThrows(ProtocolException.class, () -> s.payload(Fs.Response.class));
        assertTrue(e2.getMessage().contains("kind: must be one of file, dir, symlink, other, got 'socketish'"),
                e2.getMessage());
        Message missing = Codec.decode(Codec.encodeRaw("core.fs.response", 1, 1, Codec.encodePayload(
                java.util.Map.of("ok", true, "data", java.util.Map.of("Stat", java.util.Map.of("path", "/x"))))));
        ProtocolException e3 = assertThrows(ProtocolException.class, () -> missing.payload(Fs.Response.class));
        assertTrue(e3.getMessage().startsWith("core.fs.response: data.Stat.size: required"), e3.getMessage());
    }

    @Test
    void everyWireFailureKindMapsToTheApiKindOfTheSameName() {
        for (Exec.FailureKind k : Exec.FailureKind.values()) {
            assertEquals(k.name(), k.api().name());
            assertEquals(k, Exec.FailureKind.fromWire(k.wire()));
        }
        assertEquals(Exec.FailureKind.OTHER, Exec.FailureKind.fromWire("kind_from_a_newer_agent"));
    }

    @Test
    void requestValidationRejectsBadHostInput() {
        // a host-side caller gets the API's error for a bad field, naming it (HTTP answers it with a 400)
        InvalidConfigException signal = assertThrows(InvalidConfigException.class, () -> new Exec.Signal(0));
        assertEquals(List.of("signal", "signal: must be in [1, 64], got 0"), List.of(signal.field(), signal.detail()));
        assertTrue(assertThrows(InvalidConfigException.class, () -> new Tcp.Connect("h", 70000)).detail()
                .startsWith("port:"));
        assertEquals("path: must not contain NUL",
                assertThrows(InvalidConfigException.class, () -> new Fs.Stat("/a\0b", true)).detail());
    }
}
