package io.msb.api.network;

/** What a rule (or a direction's default) does with a matching flow. */
public enum Action {
    ALLOW, DENY;

    /** The JSON value: {@code allow} or {@code deny}. */
    public String wire() {
        return Wire.name(this);
    }

    public static Action fromWire(String value) {
        return Wire.parse(Action.class, value, "action");
    }
}
