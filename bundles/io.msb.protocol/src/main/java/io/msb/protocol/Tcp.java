package io.msb.protocol;

import io.msb.api.Check;

/** Payloads of the {@code core.tcp.*} messages. */
public final class Tcp {
    private Tcp() {
    }

    public record Connect(String host, int port) {
        public Connect {
            Check.maxLength("host", Check.required("host", host), 253);
            Check.range("port", port, 1, 0xffff);
        }
    }

    public record Connected() {
    }

    /** A chunk of stream bytes (both directions). */
    public record Data(byte[] data) {
        public Data {
            Check.required("data", data);
        }
    }

    /** The sender closed its write half. */
    public record Eof() {
    }

    public record Close() {
    }

    public record Closed() {
    }

    public record Failed(String error) {
        public Failed {
            Check.maxLength("error", Check.required("error", error), 64 * 1024);
        }
    }
}
