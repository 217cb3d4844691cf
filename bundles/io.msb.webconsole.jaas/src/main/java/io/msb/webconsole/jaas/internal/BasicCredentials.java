package io.msb.webconsole.jaas.internal;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/** User and password of an HTTP Basic {@code Authorization} header (RFC 7617), bounded in size. */
record BasicCredentials(String user, String password) {
    /** Longer user names or passwords are refused before they reach the realm. */
    static final int MAX_USER = 256;
    static final int MAX_PASSWORD = 1024;
    /** "Basic " and the base64 of the longest user:password accepted, with room for padding. */
    static final int MAX_HEADER = 6 + 4 * ((MAX_USER * 4 + 1 + MAX_PASSWORD * 4 + 2) / 3);

    @Override
    public String toString() {
        return "BasicCredentials[user=" + user + "]"; // never the password, should this end up in a log
    }

    /** The credentials of {@code header}; empty if it is absent, not Basic, malformed, not UTF-8 or too long. */
    static Optional<BasicCredentials> parse(String header) {
        if (header == null || header.length() > MAX_HEADER) {
            return Optional.empty();
        }
        String h = header.strip();
        int space = h.indexOf(' ');
        if (space < 0 || !h.substring(0, space).equalsIgnoreCase("Basic")) {
            return Optional.empty();
        }
        String pair;
        try {
            byte[] decoded = Base64.getDecoder().decode(h.substring(space + 1).strip());
            pair = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(decoded)).toString();
        } catch (IllegalArgumentException | CharacterCodingException e) {
            return Optional.empty();
        }
        int colon = pair.indexOf(':');
        if (colon <= 0) {
            return Optional.empty(); // no separator, or no user name
        }
        String user = pair.substring(0, colon);
        String password = pair.substring(colon + 1);
        if (user.length() > MAX_USER || password.length() > MAX_PASSWORD) {
            return Optional.empty();
        }
        return Optional.of(new BasicCredentials(user, password));
    }
}
