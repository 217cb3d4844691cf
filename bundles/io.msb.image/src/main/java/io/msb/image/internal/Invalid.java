package io.msb.image.internal;

import io.msb.api.InvalidConfigException;

/** Builds {@link InvalidConfigException}s whose detail starts with the field name, as the API asks. */
final class Invalid {
    private Invalid() {
    }

    static InvalidConfigException of(String field, String problem) {
        return new InvalidConfigException(field, field + " " + problem);
    }
}
