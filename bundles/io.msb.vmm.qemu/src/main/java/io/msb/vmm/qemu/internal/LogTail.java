package io.msb.vmm.qemu.internal;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The last lines of a log the guest writes: read from a bounded window and stripped of control characters. */
final class LogTail {
    static final int WINDOW = 64 * 1024;
    private static final int MAX_LINE = 512;

    private LogTail() {
    }

    static List<String> lastLines(Path file, int maxLines) {
        if (maxLines <= 0) {
            return List.of();
        }
        byte[] buf;
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long len = f.length();
            int n = (int) Math.min(len, WINDOW);
            buf = new byte[n];
            f.seek(len - n);
            f.readFully(buf);
        } catch (IOException e) {
            return List.of();
        }
        String[] lines = new String(buf, StandardCharsets.UTF_8).split("\r?\n|\r");
        List<String> out = new ArrayList<>();
        for (String line : Arrays.asList(lines).subList(Math.max(0, lines.length - maxLines), lines.length)) {
            String clean = line.replaceAll("[\\p{Cntrl}&&[^\t]]", "");
            out.add(clean.length() > MAX_LINE ? clean.substring(0, MAX_LINE) + "…" : clean);
        }
        while (!out.isEmpty() && out.get(out.size() - 1).isBlank()) {
            out.remove(out.size() - 1);
        }
        return out;
    }
}
