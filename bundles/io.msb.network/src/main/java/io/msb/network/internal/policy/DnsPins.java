package io.msb.network.internal.policy;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Which names the guest resolved to which addresses through our DNS: the evidence a domain rule needs
 * before it matches an address. Bounded: at most {@code maxAddresses} addresses (the least recently pinned
 * goes first) with at most {@link #MAX_NAMES_PER_ADDRESS} names each; a pin lives for its record's TTL,
 * but at least {@code floorMillis} (guests cache answers longer than they say) and at most a day.
 */
public final class DnsPins {
    public static final int MAX_NAMES_PER_ADDRESS = 16;
    static final long CEILING_MILLIS = 86_400_000L;
    private final int maxAddresses;
    private final long floorMillis;
    private final LongSupplier clock;
    /** address → (name → expiry), in pin order: the eldest entry is evicted when full. */
    private final LinkedHashMap<InetAddress, Map<String, Long>> pins = new LinkedHashMap<>(64, 0.75f, false);

    public DnsPins(int maxAddresses, long floorMillis, LongSupplier clock) {
        this.maxAddresses = maxAddresses;
        this.floorMillis = floorMillis;
        this.clock = clock;
    }

    /** Records that {@code name} resolved to {@code address} with this TTL. */
    public synchronized void pin(InetAddress address, String name, long ttlSeconds) {
        long now = clock.getAsLong();
        long life = Math.min(CEILING_MILLIS, Math.max(floorMillis, Math.max(0, ttlSeconds) * 1000L));
        Map<String, Long> names = pins.remove(address); // re-insert: most recently pinned is last
        if (names == null) {
            names = new HashMap<>(4);
        }
        names.values().removeIf(expiry -> expiry <= now);
        if (names.size() >= MAX_NAMES_PER_ADDRESS && !names.containsKey(name)) {
            names.remove(names.keySet().iterator().next());
        }
        names.merge(name, now + life, Math::max);
        pins.put(address, names);
        Iterator<InetAddress> eldest = pins.keySet().iterator();
        while (pins.size() > maxAddresses && eldest.hasNext()) {
            eldest.next();
            eldest.remove();
        }
    }

    /** The names still pinned to an address (empty if none). */
    public synchronized List<String> names(InetAddress address) {
        Map<String, Long> names = pins.get(address);
        if (names == null) {
            return List.of();
        }
        long now = clock.getAsLong();
        names.values().removeIf(expiry -> expiry <= now);
        if (names.isEmpty()) {
            pins.remove(address);
            return List.of();
        }
        return new ArrayList<>(names.keySet());
    }

    public synchronized int size() {
        return pins.size();
    }
}
