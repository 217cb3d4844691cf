package io.msb.webconsole.internal;

import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Anti-forgery for the pages' POST forms (decision 1861): every form carries a token, an HMAC of the console user's
 * name under a key made at activation, which another site cannot read; and a browser's Origin (or Sec-Fetch-Site)
 * must say the request came from the console's own origin. The console's authentication runs before either.
 */
final class Csrf {
    static final String FIELD = "csrf";
    private final byte[] key = new byte[32];

    Csrf() {
        new SecureRandom().nextBytes(key);
    }

    String token(HttpServletRequest request) {
        return token(user(request));
    }

    String token(String user) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(mac.doFinal(user.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }

    /** Null when the request may act; otherwise why not. */
    String refusal(HttpServletRequest request) {
        String site = request.getHeader("Sec-Fetch-Site");
        if (site != null && !site.equals("same-origin") && !site.equals("none")) {
            return "cross-site request (Sec-Fetch-Site: " + site + ")";
        }
        String origin = request.getHeader("Origin");
        if (origin != null && !sameOrigin(origin, request)) {
            return "request from another origin";
        }
        String given = request.getParameter(FIELD);
        if (given == null || !MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8),
                token(request).getBytes(StandardCharsets.UTF_8))) {
            return "missing or wrong form token: reload the page and try again";
        }
        return null;
    }

    private static boolean sameOrigin(String origin, HttpServletRequest request) {
        try {
            URI o = URI.create(origin);
            String host = request.getHeader("Host");
            return host != null && o.getScheme() != null && o.getScheme().equals(request.getScheme())
                    && o.getRawAuthority() != null && o.getRawAuthority().equalsIgnoreCase(host);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static String user(HttpServletRequest request) {
        String user = request.getRemoteUser();
        return user == null ? "" : user;
    }
}
