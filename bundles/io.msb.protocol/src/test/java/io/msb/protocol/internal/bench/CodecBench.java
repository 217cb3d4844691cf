package io.msb.protocol.internal.bench;

import io.msb.protocol.Core;
import io.msb.protocol.Exec;
import io.msb.protocol.Frame;
import io.msb.protocol.Fs;
import io.msb.protocol.MessageType;
import io.msb.protocol.internal.Codec;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Encode/decode rates of whole frames (wire bytes ↔ typed payload). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CodecBench {
    private Exec.Request request;
    private Exec.Stdout stdout64k;
    private Fs.Response stat;
    private byte[] pingWire;
    private byte[] requestWire;
    private byte[] stdoutWire;
    private byte[] statWire;

    @Setup
    public void setup() {
        request = new Exec.Request("/bin/sh", List.of("-c", "echo hello"), List.of("PATH=/usr/bin:/bin", "HOME=/root"),
                "/root", null, false, 24, 80, List.of());
        stdout64k = new Exec.Stdout(new byte[64 * 1024]);
        stat = new Fs.Response(true, null, Fs.ResponseData.ofStat(
                new Fs.EntryInfo("/etc/hostname", "file", 9, 0100644, 1700000000L, 0, 0, 1700000001L, 1700000000L)));
        pingWire = Codec.encode(MessageType.PING, 7, new Core.Ping()).encode();
        requestWire = Codec.encode(MessageType.EXEC_REQUEST, 7, request).encode();
        stdoutWire = Codec.encode(MessageType.EXEC_STDOUT, 7, stdout64k).encode();
        statWire = Codec.encode(MessageType.FS_RESPONSE, 7, stat).encode();
    }

    @Benchmark
    public byte[] encodePing() {
        return Codec.encode(MessageType.PING, 7, new Core.Ping()).encode();
    }

    @Benchmark
    public Object decodePing() throws Exception {
        return Codec.decode(Frame.decode(pingWire)).payload(Core.Ping.class);
    }

    @Benchmark
    public byte[] encodeExecRequest() {
        return Codec.encode(MessageType.EXEC_REQUEST, 7, request).encode();
    }

    @Benchmark
    public Object decodeExecRequest() throws Exception {
        return Codec.decode(Frame.decode(requestWire)).payload(Exec.Request.class);
    }

    @Benchmark
    public byte[] encodeStdout64k() {
        return Codec.encode(MessageType.EXEC_STDOUT, 7, stdout64k).encode();
    }

    @Benchmark
    public Object decodeStdout64k() throws Exception {
        return Codec.decode(Frame.decode(stdoutWire)).payload(Exec.Stdout.class);
    }

    @Benchmark
    public Object decodeFsStat() throws Exception {
        return Codec.decode(Frame.decode(statWire)).payload(Fs.Response.class);
    }
}
