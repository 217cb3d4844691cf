package io.msb.vmm.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcStatTest {
    @Test
    void parsesPastAHostileCommandName() {
        String line = "42 (a) R (b) S 1 42 42 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 1 0 987654 1000 10";
        ProcStat s = ProcStat.parse(42, line);
        assertEquals('S', s.state());
        assertEquals(987654, s.startTime());
        assertThrows(IllegalArgumentException.class, () -> ProcStat.parse(1, "1 (x) S 1 2"));
    }

    @Test
    void identifiesThisProcessAndRejectsAWrongStartTime() {
        long pid = ProcessHandle.current().pid();
        ProcStat me = ProcStat.read(pid).orElseThrow();
        assertTrue(me.running());
        assertTrue(ProcStat.isAlive(pid, me.startTime()));
        assertFalse(ProcStat.isAlive(pid, me.startTime() + 1), "a reused pid must not pass as the old process");
        assertFalse(ProcStat.isAlive(-1, 0));
    }

    @Test
    void stateFileRoundTripsAndToleratesDamage(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("vm.properties");
        new VmState("box", 123, 456, true).write(f);
        assertEquals(new VmState("box", 123, 456, true), VmState.read(f).orElseThrow());
        Files.writeString(f, "pid=notanumber\n");
        assertTrue(VmState.read(f).isEmpty());
        Files.write(f, new byte[10_000]);
        assertTrue(VmState.read(f).isEmpty());
    }

    @Test
    void hostTscComesFromCpuinfo(@TempDir Path tmp) throws Exception {
        Path info = tmp.resolve("cpuinfo");
        Files.writeString(info, "processor\t: 0\ncpu MHz\t\t: 2596.134\ncpu MHz\t\t: 1.0\n");
        assertEquals(2_596_134, HostTsc.khz(info));
        Files.writeString(info, "cpu MHz : 0.5\n");
        assertEquals(0, HostTsc.khz(info));
        assertEquals(0, HostTsc.khz(tmp.resolve("missing")));
    }

    @Test
    void logTailIsBoundedAndClean(@TempDir Path tmp) throws Exception {
        Path log = tmp.resolve("kernel.log");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 20000; i++) {
            sb.append("line ").append(i).append("\r\n");
        }
        sb.append("evil \u001b[2Jescape\n\n");
        Files.writeString(log, sb);
        var tail = LogTail.lastLines(log, 3);
        assertEquals(java.util.List.of("line 19998", "line 19999", "evil [2Jescape"), tail);
        assertTrue(LogTail.lastLines(tmp.resolve("none"), 3).isEmpty());
    }
}
