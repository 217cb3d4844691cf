package io.msb.cli.internal;

import java.util.Locale;

/** Byte counts, rates and durations as people read them: 1.5 MiB, 3.2 MiB/s, 1m05s. */
final class Sizes {
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB"};

    private Sizes() {
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        double v = n;
        int unit = 0;
        while (v >= 1024 && unit < UNITS.length - 1) {
            v /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, UNITS[unit]);
    }

    static String rate(double bytesPerSecond) {
        return bytes((long) bytesPerSecond) + "/s";
    }

    static String seconds(long s) {
        return s < 60 ? s + "s" : s / 60 + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s";
    }

    /** The first 12 hex digits of a {@code sha256:…} digest, as docker shows it. */
    static String shortDigest(String digest) {
        String hex = digest.startsWith("sha256:") ? digest.substring(7) : digest;
        return hex.length() > 12 ? hex.substring(0, 12) : hex;
    }
}
