package io.msb.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * What both pull displays keep of the stream: the reference, each layer's bytes over time (in the order they first
 * appeared), and the summary; subclasses decide what a layer's start, progress and finish look like.
 */
abstract class PullProgress implements PullDisplay {
    final PrintStream out;
    final LongSupplier clock;
    final Map<String, LayerProgress> layers = new LinkedHashMap<>();
    private String reference = "";
    private long startNanos;

    PullProgress(PrintStream out, LongSupplier clock) {
        this.out = out;
        this.clock = clock;
        this.startNanos = clock.getAsLong();
    }

    @Override
    public final void event(JsonNode event) {
        long now = clock.getAsLong();
        switch (event.path("type").asText()) {
            case "resolving" -> {
                reference = event.path("reference").asText();
                startNanos = now;
                out.println("Pulling " + Text.cell(reference));
            }
            case "resolved" -> resolved(event.path("layers").asInt(), event.path("total_bytes").asLong());
            case "layer" -> layer(event, now);
            case "materializing" -> materializing();
            default -> { } // a newer server's event: nothing to show
        }
    }

    private void layer(JsonNode event, long now) {
        String digest = event.path("digest").asText();
        LayerProgress layer = layers.get(digest);
        boolean first = layer == null;
        if (first) {
            layer = new LayerProgress(digest, event.path("total_bytes").asLong(), now);
            layers.put(digest, layer);
        }
        boolean wasFinished = !first && layer.finished();
        layer.done = event.path("done_bytes").asLong();
        layer.lastNanos = now;
        if (first) {
            started(layer);
        }
        if (layer.finished() && !wasFinished) {
            finished(layer);
        } else if (!first) {
            progressed(layer);
        }
    }

    void resolved(int layerCount, long totalBytes) {
        out.println("Resolved: " + layerCount + " layer" + (layerCount == 1 ? "" : "s") + ", " + Sizes.bytes(totalBytes));
    }

    abstract void started(LayerProgress layer);

    abstract void progressed(LayerProgress layer);

    abstract void finished(LayerProgress layer);

    abstract void materializing();

    /** Called before the summary: the display's last drawing. */
    void settle() {
    }

    @Override
    public final void complete(JsonNode image) {
        settle();
        String digest = Sizes.shortDigest(image.path("manifest_digest").asText());
        if (layers.isEmpty()) {
            out.println(Text.cell(reference) + " is up to date (" + digest + ")");
            return;
        }
        long bytes = layers.values().stream().mapToLong(l -> l.done).sum();
        double secs = Math.max((clock.getAsLong() - startNanos) / 1e9, 0.001);
        out.printf("Pulled %s (%s): %d layer%s, %s in %.1fs (%s)%n", Text.cell(reference), digest, layers.size(),
            layers.size() == 1 ? "" : "s", Sizes.bytes(bytes), secs, Sizes.rate(bytes / secs));
    }
}
