package io.msb.cli.internal;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/** Pull progress for a pipe or a log: one line when a layer starts and one when it is done, nothing redrawn. */
final class LineDisplay extends PullProgress {
    LineDisplay(PrintStream out, LongSupplier clock) {
        super(out, clock);
    }

    @Override
    void started(LayerProgress layer) {
        out.println(Sizes.shortDigest(layer.digest) + ": downloading " + Sizes.bytes(layer.total));
    }

    @Override
    void progressed(LayerProgress layer) {
        // a pipe gets no in-between lines: they would only fill the log
    }

    @Override
    void finished(LayerProgress layer) {
        out.println(Sizes.shortDigest(layer.digest) + ": done, " + Sizes.bytes(layer.total) + " in "
            + String.format(Locale.ROOT, "%.1fs", layer.seconds()));
    }

    @Override
    void materializing() {
        out.println("Building the root disk");
    }

    @Override
    public void abandon() {
        // every line is complete already
    }
}
