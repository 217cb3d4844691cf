package io.msb.api.network;

/** Which flows a rule considers: egress (guest to outside), ingress (published port to guest), or both. */
public enum Direction {
    EGRESS, INGRESS, ANY;

    public String wire() {
        return Wire.name(this);
    }

    public static Direction fromWire(String value) {
        return Wire.parse(Direction.class, value, "direction");
    }

    /** Whether a rule with this direction is considered for flows going {@code flow}. */
    public boolean covers(Direction flow) {
        return this == ANY || this == flow;
    }
}
