package io.msb.shell.internal;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.HandoffInit;
import io.msb.api.Mount;
import io.msb.api.RootfsSource;
import io.msb.api.network.Action;
import io.msb.api.network.Destination;
import io.msb.api.network.Group;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.network.PortRange;
import io.msb.api.network.PublishedPort;
import io.msb.api.network.Rule;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunArgumentsTest {

    @Test
    void optionsStopAtTheImageAndTheCommandIsUntouched() {
        RunArguments run = RunArguments.parse(List.of("-n", "box", "--cpus", "2", "-m", "768", "-e", "A=1", "-e", "B=2,C=3",
                "-l", "team=x", "-w", "/tmp", "--rm", "-d", "builtin:busybox", "--", "ls", "-l", "-n", "--rm", "/"));
        assertEquals("box", run.spec().name());
        assertEquals(RootfsSource.image("builtin:busybox"), run.spec().rootfs());
        assertEquals(2, run.spec().cpus());
        assertEquals(768, run.spec().memoryMib());
        assertEquals(Map.of("A", "1", "B", "2", "C", "3"), run.spec().env());
        assertEquals(Map.of("team", "x"), run.spec().labels());
        assertEquals("/tmp", run.spec().workdir());
        assertTrue(run.remove());
        assertTrue(run.spec().ephemeral());
        assertTrue(run.spec().detached());
        assertEquals(List.of("ls", "-l", "-n", "--rm", "/"), run.command());
    }

    @Test
    void backendNamesTheBackendOrLeavesTheDefault() {
        assertEquals("libkrun", RunArguments.parse(List.of("--backend", "libkrun", "alpine")).spec().backend());
        assertEquals(null, RunArguments.parse(List.of("alpine")).spec().backend());
        assertEquals(List.of("--backend", "x"), RunArguments.parse(List.of("alpine", "--backend", "x")).command(),
                "after the image, the command's");
        IllegalArgumentException missing = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> RunArguments.parse(List.of("--backend")));
        org.junit.jupiter.api.Assertions.assertTrue(missing.getMessage().contains("--backend"), missing.getMessage());
    }

    /** With --from-snapshot there is no image: every word after the options is the command's (decision 1237). */
    @Test
    void fromSnapshotTakesThePlaceOfTheImage() {
        RunArguments run = RunArguments.parse(List.of("--from-snapshot", "snap", "cat", "/root/x"));
        assertEquals("snap", run.spec().fromSnapshot());
        assertEquals(null, run.spec().rootfs());
        assertEquals(List.of("cat", "/root/x"), run.command());
        assertEquals(List.of("cat", "-n"), RunArguments.parse(List.of("--from-snapshot", "snap", "--", "cat", "-n"))
                .command());
        assertEquals(List.of(), RunArguments.parse(List.of("-d", "--from-snapshot", "snap")).command());
    }

    @Test
    void theSeparatorIsOptionalAndMayAlsoPrecedeTheImage() {
        assertEquals(List.of("echo", "-n", "hi"), RunArguments.parse(List.of("img", "echo", "-n", "hi")).command());
        assertEquals(List.of("echo"), RunArguments.parse(List.of("--", "img", "--", "echo")).command());
        RunArguments detached = RunArguments.parse(List.of("img"));
        assertTrue(detached.command().isEmpty());
        assertTrue(detached.spec().name().matches("msb-[0-9a-f]{8}"), detached.spec().name());
        assertFalse(detached.remove());
        assertEquals(new RootfsSource.HostDirectory(java.nio.file.Path.of("/srv/root")),
                RunArguments.parse(List.of("dir:/srv/root")).spec().rootfs());
    }

    @Test
    void initHandsPid1ToAutoOrAPath() {
        assertEquals(HandoffInit.auto(), RunArguments.parse(List.of("--init", "auto", "img")).spec().init());
        assertEquals(HandoffInit.of("/lib/systemd/systemd"),
                RunArguments.parse(List.of("--init", "/lib/systemd/systemd", "img")).spec().init());
        assertEquals(null, RunArguments.parse(List.of("img")).spec().init());
        assertEquals("msb:run: --init must be an absolute path or \"auto\", got \"init\"",
                assertThrows(IllegalArgumentException.class, () -> RunArguments.parse(List.of("--init", "init", "img")))
                        .getMessage());
    }

    @Test
    void mistakesSayWhatIsWrong() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RunArguments.parse(List.of("-x", "img")))
                .getMessage().startsWith("msb:run: unknown option -x"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RunArguments.parse(List.of("--cpus", "two", "img")))
                .getMessage().contains("--cpus needs a whole number, got two"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RunArguments.parse(List.of("-n")))
                .getMessage().contains("-n needs a value"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RunArguments.parse(List.of("--rm")))
                .getMessage().startsWith("msb:run needs an image"));
    }

    /** -v and --tmpfs as the CLI's (the API's Mount.parseVolumeOption and parseTmpfsOption). */
    @Test
    void mountOptionsAsTheClisOnes() {
        RunArguments run = RunArguments.parse(List.of("-v", "/srv/p:/p:ro", "--volume", "cache:/c", "--tmpfs", "/t:1G",
                "img", "--", "ls", "-v"));
        assertEquals(List.of(Mount.bind("/srv/p", "/p").asReadOnly(), Mount.volume("cache", "/c"),
                Mount.tmpfs("/t", 1024)), run.spec().mounts());
        assertEquals(List.of("ls", "-v"), run.command());
        assertEquals("msb:run: --volume /p: must be HOST:GUEST or NAME:GUEST, optionally followed by :ro or :rw",
                assertThrows(IllegalArgumentException.class, () -> RunArguments.parse(List.of("-v", "/p", "img")))
                        .getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RunArguments.parse(List.of("--tmpfs", "/t:x",
                "img"))).getMessage().startsWith("msb:run: --tmpfs /t:x: must be GUEST or GUEST:SIZE"));
    }

    @Test
    void networkOptionsAsTheClisOnes() {
        RunArguments run = RunArguments.parse(List.of("-p", "8080:80/udp", "--net-profile", "none", "--net-allow", "host:8000",
                "--dns", "127.0.0.1:5300", "img", "-p", "1"));
        NetworkConfig n = run.spec().network();
        assertTrue(n.enabled());
        assertEquals(List.of(new PublishedPort(8080, 80, PublishedPort.Protocol.UDP, null)), n.ports());
        assertEquals(Rule.egress(Destination.group(Group.HOST), Action.ALLOW).ports(PortRange.of(8000)), n.policy().rules().get(0));
        assertEquals(List.of("127.0.0.1:5300"), n.dns().nameservers());
        assertEquals(List.of("-p", "1"), run.command(), "after the image, -p is the command's");
        assertEquals(NetworkConfig.defaults().withPolicy(NetworkPolicy.defaults()),
                RunArguments.parse(List.of("img")).spec().network(), "on, public profile, as msb run");
        assertFalse(RunArguments.parse(List.of("--no-net", "img")).spec().networkEnabled());
        assertEquals("msb:run: --net-allow: port must be 1..65535, got 0 in \"host:0\"", assertThrows(
                IllegalArgumentException.class, () -> RunArguments.parse(List.of("--net-allow", "host:0", "img"))).getMessage());
    }

    @Test
    void secretAndStrictOptionsAsTheClisOnes() {
        RunArguments run = RunArguments.parse(List.of("--secret", "TOKEN=t0k@api.example.com,*.example.org",
                "--secret-from-env", "GH@*", "--secret-on-violation", "block-and-terminate", "--net-strict",
                "--tls-intercept-port", "8443", "img", "env"), java.util.Map.of("GH", "from-karaf")::get);
        var n = run.spec().network();
        assertTrue(n.strict());
        assertEquals("t0k", n.secrets().entries().get(0).value());
        assertEquals("$MSB_TOKEN", n.secrets().entries().get(0).placeholder());
        assertEquals("from-karaf", n.secrets().entries().get(1).value());
        assertEquals(io.msb.api.network.ViolationAction.BLOCK_AND_TERMINATE, n.secrets().onViolation());
        assertEquals(List.of(8443), n.tls().interceptedPorts());
        assertEquals(List.of("env"), run.command());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> RunArguments.parse(List.of("--secret", "TOKEN=hunter2", "img")));
        assertTrue(bad.getMessage().startsWith("msb:run: --secret: ") && !bad.getMessage().contains("hunter2"),
                bad.getMessage());
    }

    @Test
    void netpolicyWordsBecomeAPolicy() {
        assertEquals(NetworkPolicy.none().withRulesFirst(List.of(Rule.egress(Destination.cidr("127.0.0.1/32"), Action.ALLOW))),
                NetPolicyArguments.parse(List.of("--net-profile", "none", "--net-allow", "127.0.0.1")));
        assertEquals(NetworkPolicy.defaults(), NetPolicyArguments.parse(List.of()));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NetPolicyArguments.parse(List.of("--net-allow")))
                .getMessage().startsWith("msb:netpolicy: --net-allow needs a value"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NetPolicyArguments.parse(List.of("--net-profile", "x")))
                .getMessage().startsWith("msb:netpolicy: --net-profile: must be one of"));
    }
}
