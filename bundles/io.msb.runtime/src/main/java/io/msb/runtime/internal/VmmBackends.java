package io.msb.runtime.internal;

import io.msb.api.spi.VmmBackend;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The VMM backends bound now, in the runtime's order of preference: highest {@code service.ranking} first, then the
 * oldest registration (lowest {@code service.id}), as OSGi orders service references.
 */
final class VmmBackends {
    private record Bound(VmmBackend backend, int ranking, long id) {
    }

    private static final Comparator<Bound> PREFERENCE = Comparator.comparingInt(Bound::ranking).reversed()
            .thenComparingLong(Bound::id);

    private final List<Bound> bound = new ArrayList<>();
    private volatile List<VmmBackend> snapshot = List.of();

    synchronized void add(VmmBackend backend, Map<String, Object> properties) {
        Object ranking = properties.get("service.ranking");
        Object id = properties.get("service.id");
        bound.add(new Bound(backend, ranking instanceof Integer r ? r : 0, id instanceof Long l ? l : Long.MAX_VALUE));
        bound.sort(PREFERENCE);
        snapshot = bound.stream().map(Bound::backend).toList();
    }

    synchronized void remove(VmmBackend backend) {
        bound.removeIf(b -> b.backend() == backend);
        snapshot = bound.stream().map(Bound::backend).toList();
    }

    /** The backends bound now, best first; an immutable copy. */
    List<VmmBackend> list() {
        return snapshot;
    }
}
