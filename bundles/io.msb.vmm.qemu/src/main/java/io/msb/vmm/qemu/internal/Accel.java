package io.msb.vmm.qemu.internal;

import java.util.Locale;


/** How QEMU executes guest code: probed ({@code auto}), or forced by configuration. */
public enum Accel {
    AUTO, KVM, TCG;

    /**
     * TCG's translation cache, MiB (decision 1912): an idle sandbox keeps it all resident. 16 would save 16 MiB per
     * sandbox but the boot then flushes and retranslates, ~50–100 ms more per boot (decision 1916).
     */
    static final int TCG_TB_MIB = 32;

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
            // TCG cannot model "host"; "max" gives the guest every feature TCG emulates, less ERMS/FSRM: with them
            // the guest kernel copies with byte-wise "rep movsb", which TCG runs one byte per step (decision 1922).
            // The translation cache is capped (decision 1912): QEMU's default lets it grow to 1 GiB, and a
            // booted sandbox keeps ~50 MiB of it resident for good; when full, TCG flushes it and translates again.
            case TCG -> java.util.List.of("-accel", "tcg,thread=multi,tb-size=" + TCG_TB_MIB,
                    "-cpu", "max,erms=off,fsrm=off");
            case AUTO -> throw new IllegalStateException("auto must be resolved before use");
        };
    }
}
