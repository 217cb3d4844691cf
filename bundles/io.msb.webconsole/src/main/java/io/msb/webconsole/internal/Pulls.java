package io.msb.webconsole.internal;

import io.msb.api.PullPolicy;
import io.msb.api.image.ImageReference;
import io.msb.api.image.ImageService;
import io.msb.api.image.PullEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * Pulls started from the Images page, run in the background (at most {@value #THREADS} at once, the rest queued) and
 * followed through the image service's pull events, so that the page can show their progress. The last {@value #KEPT}
 * are kept, finished or not.
 */
final class Pulls implements AutoCloseable {
    static final int THREADS = 2;
    static final int KEPT = 20;

    /** A pull as the page shows it; {@code error} is set when it failed. */
    record State(String reference, String phase, long doneBytes, long totalBytes, String digest, String error,
            Instant startedAt, boolean finished) {
        int percent() {
            return finished && error == null ? 100
                    : totalBytes <= 0 ? 0 : (int) Math.min(99, doneBytes * 100 / totalBytes);
        }
    }

    private final ImageService images;
    private final ExecutorService executor = Executors.newFixedThreadPool(THREADS, r -> {
        Thread t = new Thread(r, "msb-webconsole-pull");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, State> states = new LinkedHashMap<>();

    Pulls(ImageService images) {
        this.images = images;
    }

    /** Starts pulling {@code reference} unless a pull of it runs already. */
    synchronized void start(ImageReference reference) {
        String key = reference.toString();
        State running = states.get(key);
        if (running != null && !running.finished()) {
            return;
        }
        states.remove(key);
        states.put(key, new State(reference.text(), "queued", 0, 0, null, null, Instant.now(), false));
        while (states.size() > KEPT) {
            String oldest = states.keySet().stream().filter(k -> states.get(k).finished()).findFirst().orElse(null);
            if (oldest == null) {
                break;
            }
            states.remove(oldest);
        }
        try {
            executor.execute(() -> pull(key, reference));
        } catch (RejectedExecutionException e) {
            update(key, s -> new State(s.reference(), "failed", 0, 0, null, "the console is shutting down",
                    s.startedAt(), true));
        }
    }

    private void pull(String key, ImageReference reference) {
        Map<String, Long> layers = new HashMap<>();
        try {
            images.pull(reference, PullPolicy.ALWAYS, event -> update(key, s -> next(s, event, layers)));
            update(key, s -> new State(s.reference(), "complete", s.totalBytes(), s.totalBytes(), s.digest(), null,
                    s.startedAt(), true));
        } catch (RuntimeException e) {
            String message = Forms.error(e, Map.of()).text();
            update(key, s -> new State(s.reference(), "failed", s.doneBytes(), s.totalBytes(), s.digest(), message,
                    s.startedAt(), true));
        }
    }

    /** The state after one pull event; {@code layers} holds the bytes done per layer. */
    static State next(State s, PullEvent event, Map<String, Long> layers) {
        if (event instanceof PullEvent.Resolving) {
            return new State(s.reference(), "resolving", 0, 0, null, null, s.startedAt(), false);
        }
        if (event instanceof PullEvent.Resolved r) {
            return new State(s.reference(), "downloading", 0, r.totalBytes(), r.manifestDigest(), null,
                    s.startedAt(), false);
        }
        if (event instanceof PullEvent.LayerProgress p) {
            layers.put(p.digest(), p.doneBytes());
            long done = layers.values().stream().mapToLong(Long::longValue).sum();
            return new State(s.reference(), "downloading", done, s.totalBytes(), s.digest(), null, s.startedAt(),
                    false);
        }
        if (event instanceof PullEvent.Materializing) {
            return new State(s.reference(), "unpacking", s.totalBytes(), s.totalBytes(), s.digest(), null,
                    s.startedAt(), false);
        }
        return s;
    }

    private synchronized void update(String key, java.util.function.UnaryOperator<State> change) {
        State s = states.get(key);
        if (s != null) {
            states.put(key, change.apply(s));
        }
    }

    /** The kept pulls, newest first. */
    synchronized List<State> list() {
        List<State> all = new ArrayList<>(states.values());
        java.util.Collections.reverse(all);
        return all;
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
