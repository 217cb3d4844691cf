package io.msb.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.msb.api.HandoffInit;
import io.msb.api.Mount;
import io.msb.api.PullPolicy;
import io.msb.api.RootfsSource;
import io.msb.api.SandboxSpec;
import io.msb.api.exec.Rlimit;
import io.msb.api.image.ImageReference;
import io.msb.api.network.Action;
import io.msb.api.network.DirectionLimits;
import io.msb.api.network.DnsConfig;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.network.PortRange;
import io.msb.api.network.Protocol;
import io.msb.api.network.PublishedPort;
import io.msb.api.network.RateLimit;
import io.msb.api.network.RateLimiter;
import io.msb.api.network.Rule;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpecJsonTest {

    @Test
    void everyFieldSurvivesTheStoredForm() {
        SandboxSpec spec = SandboxSpec.builder("dev").image("127.0.0.1:5000/x/y@sha256:" + "ab".repeat(32))
                .cpus(2).memoryMib(768).diskSizeMib(2048).env("A", "1").env("B", "two words")
                .label("team", "infra").label("empty", "").workdir("/work").user("1000:1000").hostname("box")
                .shell("/bin/bash").mount(new Mount("/srv/data", "/data", Mount.Kind.BIND, true))
                .mount(new Mount("cache", "/cache", Mount.Kind.VOLUME, false))
                .mount(Mount.tmpfs("/scratch", 64).withOptions(false, true, true, true))
                .mount(Mount.diskImage("/srv/img.qcow2", "/img", "qcow2", "xfs").withOptions(true, false, false, false))
                .mount(Mount.bind("/srv/p", "/p").withOptions(false, false, true, false))
                .network(richNetwork())
                .idleTimeout(Duration.ofMinutes(5)).maxDuration(Duration.ofHours(1)).pullPolicy(PullPolicy.NEVER)
                .detached(true).ephemeral(true).rlimit(new Rlimit("nofile", 512, 1024))
                .rlimit(new Rlimit("nproc", 64, 64))
                .init(new HandoffInit("/lib/systemd/systemd", List.of("--unit=multi-user.target"), Map.of("container", "msb")))
                .build();
        assertEquals(spec, SpecJson.read(SpecJson.write(spec)));
    }

    /** A mount stored before options, sizes and disk images existed reads with their defaults. */
    @Test
    void aMountStoredBeforeItsOptionsReadsWithTheirDefaults() {
        String stored = "{\"v\":2,\"name\":\"old\",\"rootfs\":{\"kind\":\"oci\",\"reference\":\"alpine\"},"
                + "\"cpus\":1,\"memoryMib\":256,\"diskSizeMib\":0,\"env\":{},\"labels\":{},\"mounts\":["
                + "{\"source\":\"/srv/data\",\"guestPath\":\"/data\",\"kind\":\"BIND\",\"readOnly\":true}],"
                + "\"pullPolicy\":\"IF_MISSING\",\"detached\":true,\"ephemeral\":false}";
        assertEquals(List.of(new Mount("/srv/data", "/data", Mount.Kind.BIND, true, false, false, false, 0, null, null)),
                SpecJson.read(stored).mounts());
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

    @Test
    void aDisabledNetworkStaysDisabled() {
        SandboxSpec spec = SandboxSpec.builder("off").image("alpine").disableNetwork().build();
        SandboxSpec back = SpecJson.read(SpecJson.write(spec));
        assertEquals(NetworkConfig.disabled(), back.network());
    }

    /** Version 1 stored a placeholder shape that never attached a network: it reads as disabled, or as none. */
    @Test
    void version1RecordsReadWithoutANetwork() {
        String withPlaceholder = "{\"v\":1,\"name\":\"old\",\"rootfs\":{\"kind\":\"oci\",\"reference\":\"alpine\"},"
                + "\"cpus\":1,\"memoryMib\":512,\"diskSizeMib\":0,\"env\":{},\"labels\":{},\"mounts\":[],"
                + "\"network\":{\"scope\":\"PUBLIC\",\"allow\":[\"10.0.0.0/8\"],\"deny\":[],\"ports\":[{\"hostAddress\":"
                + "\"127.0.0.1\",\"hostPort\":8080,\"guestPort\":80,\"protocol\":\"tcp\"}]},"
                + "\"pullPolicy\":\"IF_MISSING\",\"detached\":true,\"ephemeral\":false}";
        SandboxSpec old = SpecJson.read(withPlaceholder);
        assertEquals(NetworkConfig.disabled(), old.network());
        assertEquals("alpine", ((RootfsSource.OciImage) old.rootfs()).reference().text());
        SandboxSpec none = SpecJson.read(withPlaceholder.replaceFirst("\"network\":\\{.*?\\]\\},", ""));
        assertNull(none.network());
    }

    private static NetworkConfig richNetwork() {
        NetworkPolicy policy = new NetworkPolicy(Action.DENY, Action.ALLOW, List.of(
                NetworkPolicy.allowDns(),
                Rule.egress(io.msb.api.network.Destination.Cidr.parse("10.1.0.0/16"), Action.ALLOW)
                        .protocols(Protocol.TCP).ports(new PortRange(8000, 8100)),
                Rule.egress(new io.msb.api.network.Destination.DomainSuffix("example.com"), Action.ALLOW)));
        RateLimit bucket = new RateLimit(1 << 20, 1000, 0);
        return new NetworkConfig(true, null, List.of(PublishedPort.tcp(8080, 80),
                new PublishedPort(5353, 53, PublishedPort.Protocol.UDP, "127.0.0.2")), policy,
                new DnsConfig(true, List.of("127.0.0.1:5300"), 2000), null, null, 100,
                new RateLimiter(new DirectionLimits(bucket, null), null), false, false);
    }
}
