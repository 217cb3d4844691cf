package io.msb.api.network;

import io.msb.api.Check;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/** Parses IP literals and host names without ever asking DNS (InetAddress.getByName would). */
final class Addresses {
    private Addresses() {
    }

    /** The address a literal names, or null if the text is not an IPv4 dotted quad or an IPv6 literal. */
    static InetAddress literal(String text) {
        if (text == null || text.isEmpty() || text.length() > 45) {
            return null;
        }
        if (text.indexOf(':') < 0) {
            return ipv4(text);
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.digit(c, 16) < 0 && c != ':' && c != '.') {
                return null; // no zone ids, no brackets: getByName would fall back to a DNS lookup
            }
        }
        try {
            return InetAddress.getByName(text); // contains ':' and only hex digits: parsed, never looked up
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static InetAddress ipv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')) {
                return null; // leading zeros read as octal elsewhere: refuse the ambiguity
            }
            int v = 0;
            for (int j = 0; j < p.length(); j++) {
                char c = p.charAt(j);
                if (c < '0' || c > '9') {
                    return null;
                }
                v = v * 10 + (c - '0');
            }
            if (v > 255) {
                return null;
            }
            bytes[i] = (byte) v;
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** Whether an IPv6 literal was an IPv4-mapped address that Java turned into an IPv4 one. */
    static boolean mappedToIpv4(String text, InetAddress parsed) {
        return text.indexOf(':') >= 0 && parsed instanceof Inet4Address;
    }

    /** {@link #hostName}, or an error naming the field and showing what was given. */
    static String requireHostName(String field, String text, String given) {
        String canonical = hostName(text);
        if (canonical == null) {
            throw Check.invalid(field, "must be a DNS name (labels of 1..63 letters, digits, '-', '_'; at most 253 "
                    + "characters), got " + MapReader.describe(given));
        }
        return canonical;
    }

    /**
     * A DNS name in canonical form (lower case, no trailing dot), or null if it is not one: at most 253
     * characters, labels of 1..63 letters, digits, '-' or '_'.
     */
    static String hostName(String text) {
        if (text == null) {
            return null;
        }
        String name = text.endsWith(".") ? text.substring(0, text.length() - 1) : text;
        if (name.isEmpty() || name.length() > 253) {
            return null;
        }
        int label = 0;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '.') {
                if (label == 0) {
                    return null;
                }
                label = 0;
            } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
                    || c == '_') {
                if (++label > 63) {
                    return null;
                }
            } else {
                return null;
            }
        }
        return label == 0 ? null : name.toLowerCase(Locale.ROOT);
    }
}
