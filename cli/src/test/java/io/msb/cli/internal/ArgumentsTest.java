package io.msb.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ArgumentsTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Cli cli = new Cli(out, err, new ByteArrayInputStream("input".getBytes(StandardCharsets.UTF_8)),
        Map.of("FROM_HOST", "host value", "MSB_API_URL", "http://127.0.0.1:1"), null);

    private RunCommand run(String... args) {
        CommandLine cl = Main.commandLine(cli);
        return (RunCommand) cl.parseArgs(prepend("run", args)).subcommand().commandSpec().userObject();
    }

    private static String[] prepend(String first, String... rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    @Test
    void backendIsSentAsGivenOnlyWhenGiven() {
        assertEquals("libkrun", run("--backend", "libkrun", "builtin:busybox", "true").spec().get("backend").asText());
        assertTrue(run("builtin:busybox", "true").spec().get("backend") == null, "no option: the server's default");
    }

    @Test
    void secretAndStrictOptionsBecomeTheNetworkObjectWithTheValues() {
        JsonNode n = run("--secret", "API_KEY=sk-1@api.openai.com,*.openai.com", "--secret-from-env", "FROM_HOST@*",
            "--secret-on-violation", "block-and-terminate", "--net-strict", "--tls-intercept-port", "8443",
            "--tls-bypass", "pinned.example.com", "builtin:busybox", "true").spec().get("network");
        assertTrue(n.get("strict").asBoolean(), "strict reaches the body");
        assertEquals("API_KEY", n.at("/secrets/secrets/0/env_var").asText());
        assertEquals("sk-1", n.at("/secrets/secrets/0/value").asText(), "the CLI sends the value inline");
        assertEquals("[{\"exact\":\"api.openai.com\"},{\"wildcard\":\"*.openai.com\"}]",
            n.at("/secrets/secrets/0/allowed_hosts").toString());
        assertEquals("host value", n.at("/secrets/secrets/1/value").asText(), "read from the CLI's environment");
        assertEquals("[\"any\"]", n.at("/secrets/secrets/1/allowed_hosts").toString());
        assertEquals("block-and-terminate", n.at("/secrets/on_violation").asText());
        assertEquals("[8443]", n.at("/tls/intercepted_ports").toString());
        assertEquals("[\"pinned.example.com\"]", n.at("/tls/bypass").toString());
        // what the server reads back
        io.msb.api.network.NetworkConfig parsed = io.msb.api.network.NetworkConfig.fromMap(
            new com.fasterxml.jackson.databind.ObjectMapper().convertValue(n, Map.class));
        assertTrue(parsed.strict());
        assertEquals("sk-1", parsed.secrets().entries().get(0).value());

        assertTrue(run("--net-strict", "builtin:busybox", "true").spec().at("/network/strict").asBoolean());
        CliException noHost = assertThrows(CliException.class,
            () -> run("--secret", "K=hunter2", "builtin:busybox", "true").spec());
        assertTrue(noHost.getMessage().startsWith("--secret: ") && !noHost.getMessage().contains("hunter2"),
            noHost.getMessage());
        CliException missing = assertThrows(CliException.class,
            () -> run("--secret-from-env", "NOT_SET@x.com", "builtin:busybox", "true").spec());
        assertEquals("--secret-from-env: the environment has no variable NOT_SET (or it is empty)", missing.getMessage());
    }

    @Test
    void networkOptionsBecomeTheNetworkObject() {
        JsonNode spec = run("-p", "8080:80", "-p", "127.0.0.2:5353:53/udp", "--net-profile", "none",
            "--net-allow", "host:8000", "--net-deny", "*.evil.example", "--dns", "127.0.0.1:5300",
            "builtin:busybox", "true").spec();
        JsonNode n = spec.get("network");
        assertTrue(n.get("enabled").asBoolean());
        assertEquals("{\"host_port\":8080,\"guest_port\":80,\"protocol\":\"tcp\",\"host_bind\":\"127.0.0.1\"}",
            n.at("/ports/0").toString());
        assertEquals("udp", n.at("/ports/1/protocol").asText());
        assertEquals("127.0.0.2", n.at("/ports/1/host_bind").asText());
        assertEquals("deny", n.at("/policy/default_egress").asText());
        assertEquals("{\"direction\":\"egress\",\"destination\":{\"domain_suffix\":\"evil.example\"},"
            + "\"protocols\":[],\"ports\":[],\"action\":\"deny\"}", n.at("/policy/rules/0").toString());
        assertEquals("{\"group\":\"host\"}", n.at("/policy/rules/1/destination").toString());
        assertEquals("[{\"start\":8000,\"end\":8000}]", n.at("/policy/rules/1/ports").toString());
        assertEquals("[\"127.0.0.1:5300\"]", n.at("/dns/nameservers").toString());

        assertFalse(run("--no-net", "builtin:busybox", "true").spec().at("/network/enabled").asBoolean());
        assertTrue(run("builtin:busybox", "true").spec().get("network") == null, "no option: the server's default");
        CliException bad = assertThrows(CliException.class, () -> run("-p", "80", "builtin:busybox", "true").spec());
        assertTrue(bad.getMessage().startsWith("-p: "), bad.getMessage());
        CliException both = assertThrows(CliException.class,
            () -> run("--no-net", "-p", "80:80", "builtin:busybox", "true").spec());
        assertTrue(both.getMessage().startsWith("--no-net: "), both.getMessage());
        CliException profile = assertThrows(CliException.class,
            () -> run("--net-profile", "open", "builtin:busybox", "true").spec());
        assertEquals("--net-profile: must be one of public|private|host|none|all, got \"open\"", profile.getMessage());
    }

    @Test
    void runBuildsTheCloudSpecAndTheExecBody() {
        RunCommand r = run("--rm", "--name", "box", "-e", "A=1", "-e", "B=x=y", "-e", "FROM_HOST", "-e", "UNSET",
            "--cpus", "2", "--memory", "1G", "-w", "/tmp", "-u", "nobody", "-l", "team=a", "-i",
            "builtin:busybox", "--", "sh", "-c", "echo hi");
        assertTrue(r.remove);
        JsonNode spec = r.spec();
        assertEquals("box", spec.get("name").asText());
        assertEquals("oci", spec.at("/image/type").asText());
        assertEquals("builtin:busybox", spec.at("/image/reference").asText());
        assertEquals("[{\"key\":\"A\",\"value\":\"1\"},{\"key\":\"B\",\"value\":\"x=y\"},"
            + "{\"key\":\"FROM_HOST\",\"value\":\"host value\"}]", spec.get("env").toString());
        assertEquals("{\"team\":\"a\"}", spec.get("labels").toString());
        assertEquals(2, spec.at("/resources/vcpus").asInt());
        assertEquals(1024, spec.at("/resources/memory_mib").asInt());
        assertEquals("/tmp", spec.at("/runtime/workdir").asText());
        assertEquals("nobody", spec.at("/runtime/user").asText());
        assertEquals(List.of("sh", "-c", "echo hi"), r.command());

        JsonNode exec = r.process.execBody(cli, r.command());
        assertEquals("[\"sh\",\"-c\",\"echo hi\"]", exec.get("cmd").toString());
        assertEquals("{\"A\":\"1\",\"B\":\"x=y\",\"FROM_HOST\":\"host value\"}", exec.get("env").toString());
        assertEquals("/tmp", exec.get("workdir").asText());
        assertEquals("nobody", exec.get("user").asText());
        // -i streams stdin over the agent WebSocket (decision 1030): never in the NDJSON exec's body
        assertTrue(r.attach.interactive);
        assertFalse(exec.has("stdin"));
    }

    @Test
    void aMinimalRunSendsOnlyNameAndImageSoTheServerDefaultsApply() {
        RunCommand r = run("builtin:busybox", "true");
        JsonNode spec = r.spec();
        assertEquals(List.of("image", "name"), fieldNames(spec).stream().sorted().toList());
        assertTrue(spec.get("name").asText().matches("msb-[0-9a-f]{8}"), spec.toString());
        assertFalse(r.attach.attached());
    }

    @Test
    void everythingAfterTheImageIsTheCommandEvenOptionsAndDoubleDashes() {
        assertEquals(List.of("ls", "-l", "--rm"), run("img", "ls", "-l", "--rm").command());
        assertEquals(List.of("ls", "--", "-x"), run("img", "--", "ls", "--", "-x").command());
        assertFalse(run("img", "echo", "--rm").remove);
        assertEquals(List.of("--name", "x"), run("img", "--", "--name", "x").command());
    }

    @Test
    void memoryTakesMibOrAUnit() {
        assertEquals(512, RunCommand.memoryMib("512"));
        assertEquals(512, RunCommand.memoryMib("512M"));
        assertEquals(512, RunCommand.memoryMib("512MiB"));
        assertEquals(2048, RunCommand.memoryMib("2g"));
        assertTrue(assertThrows(CliException.class, () -> RunCommand.memoryMib("lots")).getMessage()
            .startsWith("--memory lots: must be a number of MiB"));
        assertTrue(assertThrows(CliException.class, () -> RunCommand.memoryMib("0")).getMessage()
            .contains("at least 1 MiB"));
        assertTrue(assertThrows(CliException.class, () -> RunCommand.memoryMib("512K")).getMessage()
            .startsWith("--memory 512K"));
    }

    @Test
    void labelsAndEnvNeedAKey() {
        assertEquals("--label =v: must be KEY=VALUE with a non-empty KEY",
            assertThrows(CliException.class, () -> run("-l", "=v", "img", "true").spec()).getMessage());
        assertEquals("--label novalue: must be KEY=VALUE with a non-empty KEY",
            assertThrows(CliException.class, () -> run("-l", "novalue", "img", "true").spec()).getMessage());
        assertEquals("--env =v: the key must not be empty (KEY=VALUE)",
            assertThrows(CliException.class, () -> run("-e", "=v", "img", "true").spec()).getMessage());
    }

    /** -v HOST:GUEST[:ro] (an absolute path: bind), -v NAME:GUEST (a name: a named volume), --tmpfs GUEST[:SIZE]. */
    @Test
    void mountOptionsBecomeTheSdksMounts() {
        JsonNode m = run("-v", "/srv/p:/p:ro", "-v", "cache:/cache", "--tmpfs", "/t:64M", "--tmpfs", "/u", "img", "true")
                .spec().get("mounts");
        assertEquals("{\"type\":\"bind\",\"host\":\"/srv/p\",\"guest\":\"/p\",\"options\":{\"readonly\":true,"
                + "\"noexec\":false,\"nosuid\":false,\"nodev\":false}}", m.get(0).toString());
        assertEquals("named", m.get(1).get("type").asText());
        assertEquals("cache", m.get(1).get("name").asText());
        assertFalse(m.get(1).at("/options/readonly").asBoolean());
        assertEquals("{\"type\":\"tmpfs\",\"guest\":\"/t\",\"size_mib\":64,\"options\":{\"readonly\":false,"
                + "\"noexec\":false,\"nosuid\":false,\"nodev\":false}}", m.get(2).toString());
        assertTrue(m.get(3).get("size_mib") == null, "no size: the guest's default");
        assertTrue(run("img", "true").spec().get("mounts") == null, "no option: no mounts");
        for (String[] bad : new String[][] {{"--volume", "/srv"}, {"--volume", "/srv:/p:rx"}, {"--volume", ":/p"}, {"--tmpfs", "/t:big"},
            {"--tmpfs", ":5"}}) {
            CliException e = assertThrows(CliException.class, () -> run(bad[0], bad[1], "img", "true").spec());
            assertTrue(e.getMessage().startsWith(bad[0] + " " + bad[1] + ": "), e.getMessage());
        }
    }

    @Test
    void initIsAutoOrAnAbsolutePath() {
        assertEquals("{\"cmd\":\"auto\"}", run("--init", "auto", "img", "true").spec().get("init").toString());
        assertEquals("/lib/systemd/systemd", run("--init", "/lib/systemd/systemd", "-d", "img").spec().at("/init/cmd").asText());
        assertTrue(run("img", "true").spec().get("init") == null, "no option: no handoff");
        assertEquals("--init systemd: must be an absolute path or \"auto\", got \"systemd\"",
            assertThrows(CliException.class, () -> run("--init", "systemd", "img", "true").spec()).getMessage());
    }

    @Test
    void theImageIsCheckedBeforeAnythingIsSent() {
        assertEquals("IMAGE: \"Foo:bar\" is not a valid image reference: invalid repository component"
                + " 'Foo' (lowercase letters and digits, separated by '.', '_', '__' or '-')",
            assertThrows(CliException.class, () -> run("Foo:bar", "true").spec()).getMessage());
        assertEquals("alpine", run("alpine", "true").spec().get("image").get("reference").asText(),
            "the reference goes to the server as typed");
        assertEquals("builtin:busybox", run("builtin:busybox", "true").spec().get("image").get("reference").asText());
    }

    @Test
    void execTakesOptionsBeforeTheName() {
        CommandLine cl = Main.commandLine(cli);
        ExecCommand e = (ExecCommand) cl.parseArgs("exec", "-e", "K=V", "-w", "/", "box", "--", "cat", "-n")
            .subcommand().commandSpec().userObject();
        assertEquals("box", e.name);
        assertEquals(List.of("--", "cat", "-n"), e.command);
        assertEquals(Map.of("K", "V"), e.process.env(Map.of()));
    }

    @Test
    void badArgumentsExit125WithAMessageAndAHint() {
        assertEquals(125, Main.run(new String[] {"run", "--cpus", "two", "img", "true"}, cli));
        String text = err.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("msb: Invalid value for option '--cpus'"), text);
        assertTrue(text.contains("Run 'msb run --help' for usage."), text);
    }

    @Test
    void missingPiecesAreNamed() {
        assertEquals(125, Main.run(new String[] {"run"}, cli));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("IMAGE"), err.toString(StandardCharsets.UTF_8));
        err.reset();
        assertEquals(125, Main.run(new String[] {"run", "img"}, cli));
        assertEquals("msb: COMMAND: required after IMAGE (or -it for the sandbox's shell, or --detach to leave the "
            + "sandbox running)\n", err.toString(StandardCharsets.UTF_8));
        err.reset();
        assertEquals(125, Main.run(new String[] {"exec", "box"}, cli));
        assertEquals("msb: COMMAND: required after NAME (with -it it defaults to the sandbox's shell)\n",
            err.toString(StandardCharsets.UTF_8));
        err.reset();
        assertEquals(125, Main.run(new String[] {"run", "-d", "--rm", "img"}, cli));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("msb: --detach: cannot be combined"));
        err.reset();
        assertEquals(125, Main.run(new String[] {"run", "-d", "-it", "img"}, cli));
        assertEquals("msb: --detach: cannot be combined with --rm, -i, -t or a COMMAND (use msb exec)\n",
            err.toString(StandardCharsets.UTF_8));
        err.reset();
        assertEquals(125, Main.run(new String[] {"frobnicate"}, cli));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("Unmatched argument"), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aTerminalNeedsKeysAndATerminalOnStdin() {
        // surefire's stdin is a pipe, as `echo x | msb exec -it box sh` has: refused like docker, before any request
        // (the server URL is a closed port, so a request would fail differently)
        for (String[] args : List.of(new String[] {"exec", "-it", "box", "sh"}, new String[] {"exec", "-it", "box"},
            new String[] {"run", "-it", "--rm", "img"})) {
            err.reset();
            assertEquals(125, Main.run(args, cli), String.join(" ", args));
            assertEquals("msb: the input device is not a TTY: --tty needs a terminal on stdin (leave out -t, and use "
                + "-i to send piped input)\n", err.toString(StandardCharsets.UTF_8), String.join(" ", args));
        }
        err.reset();
        assertEquals(125, Main.run(new String[] {"shell", "box"}, cli));
        assertEquals("msb: the input device is not a TTY: msb shell needs a terminal on stdin (for piped input: msb "
            + "exec -i NAME COMMAND)\n", err.toString(StandardCharsets.UTF_8));
        err.reset();
        assertEquals(125, Main.run(new String[] {"exec", "-t", "box", "sh"}, cli));
        assertEquals("msb: --tty: use it with --interactive (-it): a terminal needs its keys\n",
            err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void everyCommandHasHelp() {
        for (String command : List.of("run", "create", "exec", "shell", "ls", "ps", "inspect", "start", "stop", "kill",
            "restart", "wait", "rm", "version", "stats", "top", "info")) {
            out.reset();
            assertEquals(0, Main.run(new String[] {command, "--help"}, cli), command);
            assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("Usage: msb " + command),
                out.toString(StandardCharsets.UTF_8));
        }
        out.reset();
        assertEquals(0, Main.run(new String[] {}, cli));
        String usage = out.toString(StandardCharsets.UTF_8);
        assertTrue(usage.contains("run") && usage.contains("MSB_API_URL"), usage);
    }

    @Test
    void anUnreachableServerIsNamedWithHowToStartIt() {
        // Port 1 on loopback: nothing listens there, so this is a real refused connection.
        assertEquals(125, Main.run(new String[] {"ls"}, cli));
        String text = err.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("msb: cannot reach the msb server at http://127.0.0.1:1 ("), text);
        assertTrue(text.contains("msb-server start") && text.contains("MSB_API_URL"), text);
    }

    @Test
    void runWithRmDoesNotTryToRemoveWhatItNeverCreated() {
        assertEquals(125, Main.run(new String[] {"run", "--rm", "img", "true"}, cli));
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, text.lines().count(), text);
    }

    /** --from-snapshot replaces IMAGE: run's positional words are then all the command's; create refuses one. */
    @Test
    void fromSnapshotTakesThePlaceOfImage() {
        RunCommand r = run("--from-snapshot", "snap", "cat", "/root/installed.txt");
        JsonNode spec = r.spec();
        assertEquals("snap", spec.get("from_snapshot").asText());
        assertTrue(spec.get("image") == null, "no image with a snapshot");
        assertEquals(List.of("cat", "/root/installed.txt"), r.command());
        assertEquals(List.of("cat", "x"), run("--from-snapshot", "snap", "--", "cat", "x").command());
        assertEquals(List.of("true"), run("builtin:busybox", "true").command());

        CommandLine cl = Main.commandLine(cli);
        CreateCommand c = (CreateCommand) cl.parseArgs("create", "--from-snapshot", "snap").subcommand().commandSpec()
            .userObject();
        assertEquals("snap", c.spec().get("from_snapshot").asText());
        CreateCommand both = (CreateCommand) cl.parseArgs("create", "--from-snapshot", "snap", "alpine").subcommand()
            .commandSpec().userObject();
        assertEquals("IMAGE: cannot be combined with --from-snapshot (the snapshot's image is used)",
            assertThrows(CliException.class, both::spec).getMessage());
        CreateCommand none = (CreateCommand) cl.parseArgs("create").subcommand().commandSpec().userObject();
        assertEquals("IMAGE: required (or --from-snapshot SNAPSHOT)",
            assertThrows(CliException.class, none::spec).getMessage());
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
