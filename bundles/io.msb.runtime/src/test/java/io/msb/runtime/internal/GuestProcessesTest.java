package io.msb.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.msb.api.GuestProcess;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Parsing a guest's /proc entries: real shapes, and what a lying or racing guest can hand back. */
class GuestProcessesTest {
    private static final String STATUS = "Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t65534\t65534\t65534\t65534\n"
            + "Gid:\t65534\t65534\t65534\t65534\nVmRSS:\t     1284 kB\n";
    private static final Map<Integer, String> USERS = GuestProcesses.users(
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/sbin/nologin\nbad line\n:x:7:7::/:\n");

    /** A stat line as Linux 6.1 writes it, with {@code comm} and the three figures put in. */
    private static String stat(int pid, String comm, long utime, long stime, long start) {
        return pid + " (" + comm + ") S 1 57 57 0 -1 4194560 95 0 0 0 " + utime + " " + stime + " 0 0 20 0 1 0 "
                + start + " 1679360 321 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
    }

    private static byte[] cmdline(String... args) {
        return (String.join("\0", args) + "\0").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aRealEntryBecomesAProcess() {
        GuestProcess p = GuestProcesses.parse(57, stat(57, "sleep", 3, 2, 150), STATUS, cmdline("sleep", "100"),
                GuestProcesses.uptimeTicks("12.34 20.00\n"), USERS);
        assertEquals(new GuestProcess(57, 1, "nobody", "S", Duration.ofMillis(50), Duration.ofMillis(10_840),
                1284 * 1024, "sleep 100"), p);
    }

    @Test
    void aCommandNameWithSpacesAndParenthesesEndsAtTheLastParenthesis() {
        GuestProcess p = GuestProcesses.parse(9, stat(9, "a) (b c", 0, 0, 0), STATUS.replace("VmRSS:\t     1284 kB\n", ""),
                new byte[0], -1, USERS);
        assertEquals("[a) (b c]", p.command()); // no cmdline: the name in brackets, as ps shows kernel threads
        assertEquals(0, p.rssBytes());
        assertEquals(Duration.ZERO, p.elapsed()); // uptime unknown
    }

    @Test
    void malformedOrMismatchedEntriesAreLeftOut() {
        String ok = stat(57, "sleep", 3, 2, 150);
        assertNull(GuestProcesses.parse(57, null, STATUS, null, 100, USERS)); // ended between listing and read
        assertNull(GuestProcesses.parse(57, ok, null, null, 100, USERS));
        assertNull(GuestProcesses.parse(58, ok, STATUS, null, 100, USERS)); // another pid's stat
        assertNull(GuestProcesses.parse(57, "57 (sleep S 1", STATUS, null, 100, USERS)); // no ')'
        assertNull(GuestProcesses.parse(57, "57 (sleep) S 1 2 3", STATUS, null, 100, USERS)); // too few fields
        assertNull(GuestProcesses.parse(57, ok.replace(") S ", ") ?? "), STATUS, null, 100, USERS)); // state
        assertNull(GuestProcesses.parse(57, ok.replace(" 3 2 ", " -3 2 "), STATUS, null, 100, USERS)); // negative
        assertNull(GuestProcesses.parse(57, ok.replace(" 3 2 ", " 99999999999999999999 2 "), STATUS, null, 100, USERS));
        assertNull(GuestProcesses.parse(57, ok, STATUS.replace("Uid:\t65534", "Uid:\tx"), null, 100, USERS)); // uid
        assertNull(GuestProcesses.parse(57, ok, STATUS.replace("1284 kB", "99999999999999 kB"), null, 100, USERS));
    }

    @Test
    void commandsAreBoundedAndPrintable() {
        GuestProcess p = GuestProcesses.parse(57, stat(57, "x", 0, 0, 0), STATUS,
                cmdline("sh", "-c", "echo \u001b[2J" + "y".repeat(5000)), 100, USERS);
        assertEquals(GuestProcesses.MAX_COMMAND_CHARS, p.command().length());
        assertEquals("sh -c echo ?[2Jyyy", p.command().substring(0, 18));
    }

    @Test
    void passwdAndUptimeParsingSkipsWhatIsMalformed() {
        assertEquals(Map.of(0, "root", 65534, "nobody"), USERS);
        assertEquals(1234, GuestProcesses.uptimeTicks("12.34 20.00\n"));
        assertEquals(1230, GuestProcesses.uptimeTicks("12.3 20.00\n"));
        assertEquals(-1, GuestProcesses.uptimeTicks("-1.00 2\n"));
        assertEquals(-1, GuestProcesses.uptimeTicks(null));
        assertEquals("1001", GuestProcesses.parse(57, stat(57, "x", 0, 0, 0), STATUS.replace("65534", "1001"), null,
                100, USERS).user()); // no name: the number
    }
}
