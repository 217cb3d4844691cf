package io.msb.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.msb.api.Mount;
import io.msb.api.NetworkPolicy;
import io.msb.api.PullPolicy;
import io.msb.api.RootfsSource;
import io.msb.api.SandboxSpec;
import io.msb.api.image.ImageReference;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpecJsonTest {

    @Test
    void everyFieldSurvivesTheStoredForm() {
        SandboxSpec spec = SandboxSpec.builder("dev").image("127.0.0.1:5000/x/y@sha256:" + "ab".repeat(32))
                .cpus(2).memoryMib(768).diskSizeMib(2048).env("A", "1").env("B", "two words")
                .label("team", "infra").label("empty", "").workdir("/work").user("1000:1000").hostname("box")
                .shell("/bin/bash").mount(new Mount("/srv/data", "/data", Mount.Kind.BIND, true))
                .mount(new Mount("cache", "/cache", Mount.Kind.VOLUME, false))
                .network(new NetworkPolicy(NetworkPolicy.Scope.PUBLIC, List.of("10.0.0.0/8"), List.of("evil.example"),
                        List.of(new NetworkPolicy.PortMapping("127.0.0.1", 8080, 80, "tcp"))))
                .idleTimeout(Duration.ofMinutes(5)).maxDuration(Duration.ofHours(1)).pullPolicy(PullPolicy.NEVER)
                .detached(true).ephemeral(true).build();
        assertEquals(spec, SpecJson.read(SpecJson.write(spec)));
    }

    @Test
    void minimalSpecsAndOtherRoots() {
        for (RootfsSource root : List.of(new RootfsSource.HostDirectory(Path.of("/srv/root")),
                new RootfsSource.DiskImage(Path.of("/srv/disk.qcow2"), RootfsSource.DiskImage.Format.QCOW2))) {
            SandboxSpec spec = SandboxSpec.builder("m").rootfs(root).build();
            assertEquals(spec, SpecJson.read(SpecJson.write(spec)));
        }
    }

    @Test
    void aStoredReferenceLoadsAsWrittenAndIsStoredAsWritten() {
        // the shape rows have had since decision 0004: the reference is the text the user gave
        String stored = "{\"v\":1,\"name\":\"old\",\"rootfs\":{\"kind\":\"oci\",\"reference\":\"alpine\"},"
                + "\"cpus\":1,\"memoryMib\":256,\"diskSizeMib\":0,\"env\":{},\"labels\":{},\"mounts\":[],"
                + "\"pullPolicy\":\"IF_MISSING\",\"detached\":true,\"ephemeral\":false}";
        SandboxSpec spec = SpecJson.read(stored);
        ImageReference ref = ((RootfsSource.OciImage) spec.rootfs()).reference();
        assertEquals("docker.io/library/alpine:latest", ref.toString());
        assertEquals("alpine", ref.text());
        assertEquals("alpine", SpecJson.write(spec).replaceAll(".*\"reference\":\"([^\"]*)\".*", "$1"));
        for (String builtinOrLoaded : List.of("builtin:busybox", "sha256:" + "cd".repeat(32))) {
            SandboxSpec other = SandboxSpec.builder("b").image(builtinOrLoaded).build();
            assertEquals(other, SpecJson.read(SpecJson.write(other)));
        }
    }
}
