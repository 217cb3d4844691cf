package io.msb.network.internal.intercept;

import java.util.Locale;

/** Names as the guest gives them (TLS SNI, HTTP Host, CONNECT targets): checked, lower-cased, port removed. */
public final class HostNames {
    /** RFC 1035: a name is at most 253 characters without its trailing dot. */
    static final int MAX_NAME = 253;

    private HostNames() {
    }

    /** Whether {@code s} is an IPv4 literal or a (bracketless) IPv6 literal. */
    public static boolean isIpLiteral(String s) {
        if (s.indexOf(':') >= 0) {
            return s.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.');
        }
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit) || Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }

    /**
     * The host of an authority ({@code host}, {@code host:port}, {@code [v6]:port}), lower-cased without a
     * trailing dot, or null if it is not a plausible DNS name or IP literal.
     */
    public static String host(String authority) {
        if (authority == null) {
            return null;
        }
        String h = authority.trim();
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? null : checked(h.substring(1, end));
        }
        int colon = h.lastIndexOf(':');
        if (colon >= 0) {
            String port = h.substring(colon + 1);
            if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(Character::isDigit)) {
                return null;
            }
            h = h.substring(0, colon);
        }
        return checked(h);
    }

    private static String checked(String h) {
        String s = h.toLowerCase(Locale.ROOT);
        if (s.endsWith(".")) {
            s = s.substring(0, s.length() - 1);
        }
        if (s.isEmpty() || s.length() > MAX_NAME) {
            return null;
        }
        if (isIpLiteral(s)) {
            return s;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_')) {
                return null;
            }
        }
        return s;
    }
}
