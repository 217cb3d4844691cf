package io.msb.api;

/** Entry point of the fluent Java API: {@code Sandbox.builder("dev").image("alpine").cpus(2).build()}. */
public final class Sandbox {
    private Sandbox() {
    }

    public static SandboxSpec.Builder builder(String name) {
        return SandboxSpec.builder(name);
    }
}
