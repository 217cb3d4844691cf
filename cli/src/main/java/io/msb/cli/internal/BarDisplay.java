package io.msb.cli.internal;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Pull progress on a terminal: one bar per layer (bytes, rate, ETA) in a block redrawn in place with ANSI cursor
 * movement, at most every {@link #REDRAW_NANOS} unless a layer starts or finishes. No colour, so NO_COLOR has nothing
 * to turn off. Every drawn line ends with a newline, so the cursor is always below the block and an interrupted pull
 * leaves the shell's prompt on a line of its own.
 */
final class BarDisplay extends PullProgress {
    static final long REDRAW_NANOS = 100_000_000L;
    static final int BAR = 30;
    private static final String UP = "\033[%dA";
    private static final String CLEAR_LINE = "\033[K";
    private int drawnLines;
    private long lastDraw = Long.MIN_VALUE;
    private String status = "";

    BarDisplay(PrintStream out, LongSupplier clock) {
        super(out, clock);
    }

    @Override
    void started(LayerProgress layer) {
        draw(true);
    }

    @Override
    void progressed(LayerProgress layer) {
        draw(false);
    }

    @Override
    void finished(LayerProgress layer) {
        draw(true);
    }

    @Override
    void materializing() {
        status = "building the root disk";
        draw(true);
    }

    @Override
    void settle() {
        status = "";
        draw(true);
    }

    @Override
    public synchronized void abandon() {
        draw(true);
    }

    private synchronized void draw(boolean force) {
        long now = clock.getAsLong();
        if (!force && now - lastDraw < REDRAW_NANOS) {
            return;
        }
        lastDraw = now;
        StringBuilder sb = new StringBuilder();
        if (drawnLines > 0) {
            sb.append(String.format(UP, drawnLines));
        }
        int lines = 0;
        for (LayerProgress layer : layers.values()) {
            sb.append('\r').append(line(layer)).append(CLEAR_LINE).append('\n');
            lines++;
        }
        if (!status.isEmpty() || drawnLines > lines) {
            sb.append('\r').append(status).append(CLEAR_LINE).append('\n');
            lines++;
        }
        drawnLines = lines;
        out.print(sb);
        out.flush();
    }

    static String line(LayerProgress layer) {
        int filled = layer.total <= 0 ? BAR : (int) Math.min(BAR, layer.done * BAR / layer.total);
        StringBuilder bar = new StringBuilder("[");
        for (int i = 0; i < BAR; i++) {
            bar.append(i < filled ? '=' : i == filled ? '>' : ' ');
        }
        bar.append(']');
        String head = Sizes.shortDigest(layer.digest) + " " + bar + " ";
        if (layer.finished()) {
            return head + Sizes.bytes(layer.total) + String.format(Locale.ROOT, "  done in %.1fs", layer.seconds());
        }
        long eta = layer.etaSeconds();
        return head + Sizes.bytes(layer.done) + " / " + Sizes.bytes(layer.total) + "  " + Sizes.rate(layer.rate())
            + "  ETA " + (eta < 0 ? "--" : Sizes.seconds(eta));
    }
}
