package io.msb.vmm.libkrun.internal;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/** The last lines of a log a guest or libkrun writes: from a bounded window, stripped of control characters. */
final class LogLines {
    private static final int WINDOW = 64 * 1024;
    private static final int MAX_LINE = 512;

    private LogLines() {
    }

    static List<String> tail(Path file, int maxLines) {
        if (maxLines <= 0) {
            return List.of();
        }
        byte[] window;
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            window = new byte[(int) Math.min(f.length(), WINDOW)];
            f.seek(f.length() - window.length);
            f.readFully(window);
        } catch (IOException e) {
            return List.of();
        }
        List<String> lines = new String(window, StandardCharsets.UTF_8).lines()
                .map(l -> l.replaceAll("[\\p{Cntrl}&&[^\t]]", ""))
                .map(l -> l.length() > MAX_LINE ? l.substring(0, MAX_LINE) + "…" : l)
                .toList();
        int end = lines.size();
        while (end > 0 && lines.get(end - 1).isBlank()) {
            end--;
        }
        return lines.subList(Math.max(0, end - maxLines), end);
    }
}
