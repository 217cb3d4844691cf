package io.msb.runtime.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The hex SHA-256 of a string, computed by coreutils' sha256sum so the expectation is independent of our code. */
final class Sha256Sum {
    private Sha256Sum() {
    }

    static String of(String text) {
        try {
            Process p = new ProcessBuilder("sha256sum").start();
            try (var out = p.getOutputStream()) {
                out.write(text.getBytes(StandardCharsets.UTF_8));
            }
            String line = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            p.waitFor();
            return line.substring(0, 64);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
