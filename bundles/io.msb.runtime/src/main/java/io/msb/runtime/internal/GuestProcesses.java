package io.msb.runtime.internal;

import io.msb.api.GuestProcess;
import io.msb.api.fs.FileStat;
import io.msb.api.fs.SandboxFs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The guest's processes from its {@code /proc}, read through the agent's file service: works in any image (no
 * {@code ps} needed). Everything read is untrusted: each file is read up to a bound, each field is checked, and an
 * entry that is malformed (or that ended between the listing and the reads) is left out rather than guessed at.
 */
final class GuestProcesses {
    /** More than any sandbox needs; each one costs three agent reads. */
    static final int MAX_PROCESSES = 1024;
    static final int MAX_STAT_BYTES = 4096;
    static final int MAX_STATUS_BYTES = 8192;
    static final int MAX_CMDLINE_BYTES = 4096;
    static final int MAX_PASSWD_BYTES = 64 * 1024;
    /** Shown of a command line, in characters. */
    static final int MAX_COMMAND_CHARS = 1024;
    /** Linux reports times in USER_HZ, 100 on every architecture msb runs on. */
    private static final long TICKS_PER_SECOND = 100;
    /** 16 TiB in KiB: no VM of ours has more. */
    private static final long MAX_KIB = 1L << 34;
    /** A century in ticks bounds every time field. */
    private static final long MAX_TICKS = 100L * 365 * 24 * 3600 * TICKS_PER_SECOND;
    private static final Pattern PID = Pattern.compile("/proc/([1-9][0-9]{0,9})");
    private static final Pattern UPTIME = Pattern.compile("^([0-9]{1,12})\\.([0-9]{1,2}) ");
    private static final Pattern UID = Pattern.compile("^Uid:\\s+([0-9]{1,10})\\s", Pattern.MULTILINE);
    private static final Pattern RSS = Pattern.compile("^VmRSS:\\s+([0-9]{1,15}) kB$", Pattern.MULTILINE);

    private GuestProcesses() {
    }

    static List<GuestProcess> read(SandboxFs fs) {
        long uptimeTicks = uptimeTicks(text(fs, "/proc/uptime", 256));
        Map<Integer, String> users = users(text(fs, "/etc/passwd", MAX_PASSWD_BYTES));
        List<Integer> pids = new ArrayList<>();
        for (FileStat entry : fs.list("/proc")) {
            Matcher m = PID.matcher(entry.path());
            if (m.matches() && Long.parseLong(m.group(1)) <= Integer.MAX_VALUE) {
                pids.add(Integer.parseInt(m.group(1)));
            }
        }
        pids.sort(Comparator.naturalOrder());
        List<GuestProcess> result = new ArrayList<>();
        for (int pid : pids.subList(0, Math.min(pids.size(), MAX_PROCESSES))) {
            String stat = text(fs, "/proc/" + pid + "/stat", MAX_STAT_BYTES);
            String status = text(fs, "/proc/" + pid + "/status", MAX_STATUS_BYTES);
            byte[] cmdline = bytes(fs, "/proc/" + pid + "/cmdline", MAX_CMDLINE_BYTES);
            GuestProcess p = parse(pid, stat, status, cmdline, uptimeTicks, users);
            if (p != null) {
                result.add(p);
            }
        }
        return result;
    }

    /**
     * One process from its files' contents (null: unreadable); null when anything is missing or malformed.
     *
     * @param uptimeTicks the guest's uptime in ticks, or -1 when unknown (elapsed is then zero)
     */
    static GuestProcess parse(int pid, String stat, String status, byte[] cmdline, long uptimeTicks,
            Map<Integer, String> users) {
        if (stat == null || status == null) {
            return null;
        }
        // "pid (comm) state ppid …": comm may hold spaces and parentheses, so it ends at the last ')'
        int open = stat.indexOf(" (");
        int close = stat.lastIndexOf(')');
        if (open < 0 || close < open || !stat.substring(0, open).equals(Integer.toString(pid))
                || close + 2 > stat.length()) {
            return null;
        }
        String comm = stat.substring(open + 2, close);
        String[] f = stat.substring(close + 1).strip().split(" ");
        // f[0] is field 3 (state); utime 14, stime 15, starttime 22
        if (f.length < 20 || !f[0].matches("[A-Za-z]")) {
            return null;
        }
        long ppid = number(f[1], Integer.MAX_VALUE);
        long utime = number(f[11], MAX_TICKS);
        long stime = number(f[12], MAX_TICKS);
        long start = number(f[19], MAX_TICKS);
        Matcher uid = UID.matcher(status);
        if (ppid < 0 || utime < 0 || stime < 0 || start < 0 || !uid.find()) {
            return null;
        }
        long uidValue = Long.parseLong(uid.group(1));
        if (uidValue > 0xFFFF_FFFFL) {
            return null;
        }
        long rssKib = 0; // kernel threads and zombies have no VmRSS line
        Matcher rss = RSS.matcher(status);
        if (rss.find()) {
            rssKib = Long.parseLong(rss.group(1));
            if (rssKib > MAX_KIB) {
                return null;
            }
        }
        String user = users.getOrDefault((int) uidValue, Long.toString(uidValue));
        long elapsed = uptimeTicks < 0 ? 0 : Math.max(0, uptimeTicks - start);
        return new GuestProcess(pid, (int) ppid, user, f[0], ticks(utime + stime), ticks(elapsed), rssKib * 1024,
                command(cmdline, comm));
    }

    /** The arguments joined with spaces, printable only; {@code [comm]} when there are none (kernel threads). */
    static String command(byte[] cmdline, String comm) {
        String text = cmdline == null ? "" : new String(cmdline, StandardCharsets.UTF_8);
        while (text.endsWith("\0")) {
            text = text.substring(0, text.length() - 1);
        }
        String joined = text.isEmpty() ? "[" + comm + "]" : text.replace('\0', ' ');
        StringBuilder sb = new StringBuilder();
        joined.codePoints().limit(MAX_COMMAND_CHARS).forEach(c -> sb.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return sb.toString();
    }

    /** {@code /proc/uptime}'s first figure in ticks; -1 when malformed. */
    static long uptimeTicks(String uptime) {
        if (uptime == null) {
            return -1;
        }
        Matcher m = UPTIME.matcher(uptime);
        if (!m.find()) {
            return -1;
        }
        String hundredths = m.group(2).length() == 1 ? m.group(2) + "0" : m.group(2);
        return Long.parseLong(m.group(1)) * TICKS_PER_SECOND + Long.parseLong(hundredths);
    }

    /** uid → name from an {@code /etc/passwd}; malformed lines are skipped. */
    static Map<Integer, String> users(String passwd) {
        Map<Integer, String> users = new HashMap<>();
        if (passwd == null) {
            return users;
        }
        for (String line : passwd.split("\n")) {
            String[] f = line.split(":", -1);
            if (f.length >= 4 && f[0].matches("[A-Za-z0-9_.][A-Za-z0-9_.-]{0,31}\\$?") && f[2].matches("[0-9]{1,10}")) {
                long uid = Long.parseLong(f[2]);
                if (uid <= Integer.MAX_VALUE) {
                    users.putIfAbsent((int) uid, f[0]);
                }
            }
        }
        return users;
    }

    private static long number(String s, long max) {
        if (!s.matches("[0-9]{1,19}")) {
            return -1;
        }
        try {
            long v = Long.parseLong(s);
            return v <= max ? v : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static Duration ticks(long ticks) {
        return Duration.ofMillis(ticks * 1000 / TICKS_PER_SECOND);
    }

    private static String text(SandboxFs fs, String path, int max) {
        byte[] b = bytes(fs, path, max);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    /** Up to {@code max} bytes; null when the file cannot be read (the process ended, a hidepid /proc). */
    private static byte[] bytes(SandboxFs fs, String path, int max) {
        try (InputStream in = fs.read(path)) {
            return in.readNBytes(max);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
