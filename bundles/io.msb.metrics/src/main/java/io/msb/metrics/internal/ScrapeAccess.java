package io.msb.metrics.internal;

import io.msb.api.spi.BearerCheck;
import io.msb.metrics.internal.MetricsConfig.Access;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/** Who may scrape (decision 1872): the HTTP API's keys (through {@link BearerCheck}), metrics keys, or loopback. */
final class ScrapeAccess {
    private static final int MAX_KEY_CHARS = 512;
    private final Access mode;
    private final List<byte[]> metricsKeys;
    private final Supplier<BearerCheck> apiKeys;

    ScrapeAccess(Access mode, String[] metricsKeys, Supplier<BearerCheck> apiKeys) {
        this.mode = mode;
        this.metricsKeys = (metricsKeys == null ? List.<String>of() : Arrays.asList(metricsKeys)).stream()
                .map(String::strip).filter(k -> !k.isEmpty()).map(k -> {
                    if (k.length() > MAX_KEY_CHARS) {
                        throw new IllegalArgumentException("metricsKeys: a key must be at most " + MAX_KEY_CHARS
                                + " characters");
                    }
                    return k.getBytes(StandardCharsets.UTF_8);
                }).toList();
        this.apiKeys = apiKeys;
    }

    boolean allows(String remoteAddress, String authorization) {
        if (mode == Access.OPEN_ON_LOOPBACK && loopback(remoteAddress)) {
            return true;
        }
        if (metricsKey(authorization)) {
            return true;
        }
        BearerCheck api = apiKeys.get();
        return mode != Access.METRICS_KEYS && api != null && api.accepts(authorization);
    }

    /** For the 401's text: which credentials would do, never a key. */
    String describe() {
        return switch (mode) {
            case METRICS_KEYS -> "a metrics key of the io.msb.metrics configuration";
            case API_KEYS, OPEN_ON_LOOPBACK -> "an API key of the msb HTTP API or a metrics key";
        };
    }

    private boolean metricsKey(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] given = authorization.substring(7).strip().getBytes(StandardCharsets.UTF_8);
        boolean ok = false;
        for (byte[] key : metricsKeys) {
            ok |= MessageDigest.isEqual(key, given); // every key compared: no early exit
        }
        return ok;
    }

    /** The servlet's remote address is a literal: getByName parses it, no lookup. */
    private static boolean loopback(String address) {
        try {
            return address != null && InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
