package io.msb.webconsole.internal;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The outcome of a POST, kept for the GET it redirects to (post/redirect/get), under a random id; read once.
 * At most {@value #MAX} are kept: the oldest unread ones are dropped.
 */
final class Flash {
    static final int MAX = 128;

    /** What happened: an error names the field it concerns (null: none); {@code form} refills the form. */
    record Message(boolean error, String field, String text, Map<String, String> form) {
        static Message ok(String text) {
            return new Message(false, null, text, Map.of());
        }
    }

    private final SecureRandom random = new SecureRandom();
    private final Map<String, Message> messages = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Message> eldest) {
            return size() > MAX;
        }
    };

    synchronized String put(Message message) {
        byte[] id = new byte[12];
        random.nextBytes(id);
        String key = HexFormat.of().formatHex(id);
        messages.put(key, message);
        return key;
    }

    synchronized Message take(String id) {
        return id == null ? null : messages.remove(id);
    }
}
