package io.msb.webconsole.internal;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** Figures as people read them: sizes in binary units, durations in d/h/m/s, times in UTC. */
final class Format {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
            .withZone(ZoneOffset.UTC);
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB"};

    private Format() {
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        int unit = Math.min(UNITS.length - 1, (63 - Long.numberOfLeadingZeros(n)) / 10); // 2^10 per unit
        return String.format(Locale.ROOT, "%.1f %s", n / (double) (1L << (10 * unit)), UNITS[unit]);
    }

    static String duration(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m " + s % 60 + "s";
        }
        if (s < 86400) {
            return s / 3600 + "h " + s % 3600 / 60 + "m";
        }
        return s / 86400 + "d " + s % 86400 / 3600 + "h";
    }

    static String time(Instant t) {
        return t == null ? "" : TIME.format(t);
    }

    /** The first 12 hex digits of {@code sha256:…}, as docker shows image ids. */
    static String shortDigest(String digest) {
        if (digest == null) {
            return "";
        }
        String hex = digest.startsWith("sha256:") ? digest.substring(7) : digest;
        return hex.length() > 12 ? hex.substring(0, 12) : hex;
    }
}
