package io.msb.vmm.qemu.internal;

import java.util.Locale;


/** How QEMU executes guest code: probed ({@code auto}), or forced by configuration. */
public enum Accel {
    AUTO, KVM, TCG;

    static Accel parse(String field, String value) {
        String v = value == null || value.isBlank() ? "auto" : value.trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "auto" -> AUTO;
            case "kvm" -> KVM;
            case "tcg" -> TCG;
            default -> throw QemuCommand.invalid(field, "must be auto, kvm or tcg, not '" + value + "'");
        };
    }

    /** The QEMU arguments selecting this (resolved) accelerator and a CPU model that suits it. */
    java.util.List<String> qemuArgs() {
        return switch (this) {
            case KVM -> java.util.List.of("-accel", "kvm", "-cpu", "host");
            // TCG cannot model "host"; "max" gives the guest every feature TCG emulates.
            case TCG -> java.util.List.of("-accel", "tcg,thread=multi", "-cpu", "max");
            case AUTO -> throw new IllegalStateException("auto must be resolved before use");
        };
    }
}
