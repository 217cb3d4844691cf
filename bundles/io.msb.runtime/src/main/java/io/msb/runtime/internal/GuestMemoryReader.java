package io.msb.runtime.internal;

import io.msb.api.SandboxMetrics.GuestMemory;
import io.msb.api.fs.SandboxFs;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The guest's memory from its {@code /proc/meminfo}, read through the agent's file service: no extra protocol
 * message, so it works with any agent of the protocol. What the guest sends is untrusted: the read is bounded and
 * anything malformed or implausible yields no figure rather than a wrong one.
 */
final class GuestMemoryReader {
    /** A real meminfo is about 1.5 KiB. */
    static final int MAX_BYTES = 16 * 1024;
    /** 16 TiB in KiB: more than any VM of ours gets. */
    private static final long MAX_KIB = 1L << 34;
    private static final Pattern FIELD = Pattern.compile("^(MemTotal|MemAvailable):\\s+(\\d{1,15}) kB$",
            Pattern.MULTILINE);

    private GuestMemoryReader() {
    }

    static GuestMemory read(SandboxFs fs) {
        return GuestProcFile.read(fs, "/proc/meminfo", MAX_BYTES, GuestMemoryReader::parse);
    }

    static GuestMemory parse(String meminfo) {
        long total = -1;
        long available = -1;
        Matcher m = FIELD.matcher(meminfo);
        while (m.find()) {
            long kib = Long.parseLong(m.group(2));
            if (kib > MAX_KIB) {
                return null;
            }
            if (m.group(1).equals("MemTotal")) {
                total = kib;
            } else {
                available = kib;
            }
        }
        if (total <= 0 || available < 0 || available > total) {
            return null;
        }
        return new GuestMemory(total * 1024, available * 1024);
    }
}
