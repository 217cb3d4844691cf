package io.msb.api.network;

import io.msb.api.InvalidConfigException;

/** Builds the validation errors of this package: the message starts with the field's path. */
final class Fail {
    private Fail() {
    }

    static InvalidConfigException field(String field, String rule) {
        return new InvalidConfigException(field, field + ": " + rule);
    }

    static int port(String field, int value) {
        if (value < 0 || value > 65535) {
            throw field(field, "must be a port number 0..65535, got " + value);
        }
        return value;
    }
}
