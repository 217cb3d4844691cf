package io.msb.http.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Ephemeral sandboxes that a stop through the API just removed, as their last response said, for
 * {@link #KEEP} (decision 1025): the SDK's stop polls {@code GET /v1/sandboxes/by-name/{name}} until it reads
 * {@code stopped}, and a 404 there would fail a stop that succeeded. Bounded to the {@link #MAX} latest; a create of
 * the name forgets it at once.
 */
final class Departed {
    static final Duration KEEP = Duration.ofSeconds(60);
    static final int MAX = 1024;

    private record Entry(Wire.SandboxResponse response, Instant until) {
    }

    /** By name, oldest first. */
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    /** Keeps {@code response} (a stopped one) and returns it. */
    synchronized Wire.SandboxResponse add(Wire.SandboxResponse response) {
        entries.remove(response.name());
        entries.put(response.name(), new Entry(response, Instant.now().plus(KEEP)));
        if (entries.size() > MAX) {
            entries.remove(entries.keySet().iterator().next());
        }
        return response;
    }

    synchronized Optional<Wire.SandboxResponse> byName(String name) {
        expire();
        return Optional.ofNullable(entries.get(name)).map(Entry::response);
    }

    synchronized Optional<Wire.SandboxResponse> byId(String id) {
        expire();
        return entries.values().stream().map(Entry::response).filter(r -> r.id().equalsIgnoreCase(id)).findFirst();
    }

    synchronized void forget(String name) {
        entries.remove(name);
    }

    private void expire() {
        Instant now = Instant.now();
        for (Iterator<Entry> it = entries.values().iterator(); it.hasNext();) {
            if (it.next().until().isBefore(now)) {
                it.remove();
            }
        }
    }
}
