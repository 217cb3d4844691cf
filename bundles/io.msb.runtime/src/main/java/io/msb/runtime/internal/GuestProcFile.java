package io.msb.runtime.internal;

import io.msb.api.fs.SandboxFs;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * A guest {@code /proc} file read through the agent's file service, for a metric: bounded, and no figure (null)
 * rather than an error when the agent cannot give it, so one missing figure does not fail the whole sample.
 */
final class GuestProcFile {
    private static final Logger LOG = System.getLogger(GuestProcFile.class.getName());

    private GuestProcFile() {
    }

    /** {@code parse} of at most {@code maxBytes} of the file (as ASCII), or null when it cannot be read. */
    static <T> T read(SandboxFs fs, String path, int maxBytes, Function<String, T> parse) {
        try (InputStream in = fs.read(path)) {
            return parse.apply(new String(in.readNBytes(maxBytes), StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "guest {0} unavailable: {1}", path, e.toString());
            return null;
        }
    }
}
