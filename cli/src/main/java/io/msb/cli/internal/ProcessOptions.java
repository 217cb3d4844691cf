package io.msb.cli.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options of the process that run and exec start in the guest. */
final class ProcessOptions {
    /** The help footer of run and exec, which both exit with the guest command's status. */
    static final String EXIT_STATUS = "Exit status: the command's; 125 when msb or the server failed; 126 when the "
        + "command cannot be started; 127 when it is not found.";

    @Option(names = {"-e", "--env"}, paramLabel = "KEY[=VALUE]",
        description = "Set an environment variable; KEY alone passes this shell's value (if set).")
    List<String> env = new ArrayList<>();

    @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "Working directory in the guest.")
    String workdir;

    @Option(names = {"-u", "--user"}, paramLabel = "USER", description = "User in the guest (name or uid[:gid]).")
    String user;

    /** -e values as a map, in order; a bare KEY takes the value from {@code hostEnv} or is left out. */
    Map<String, String> env(Map<String, String> hostEnv) {
        Map<String, String> result = new LinkedHashMap<>();
        for (String e : env) {
            int eq = e.indexOf('=');
            String key = eq < 0 ? e : e.substring(0, eq);
            if (key.isEmpty()) {
                throw new CliException("--env " + e + ": the key must not be empty (KEY=VALUE)");
            }
            if (eq >= 0) {
                result.put(key, e.substring(eq + 1));
            } else if (hostEnv.get(key) != null) {
                result.put(key, hostEnv.get(key));
            }
        }
        return result;
    }

    /** COMMAND's words without the -- that may open them. */
    static List<String> withoutSeparator(List<String> words) {
        return !words.isEmpty() && words.get(0).equals("--") ? words.subList(1, words.size()) : words;
    }

    /**
     * Runs {@code command} in {@code sandbox} with its output streamed here; its exit status as msb's. Attached
     * (-i, -t) it runs over the agent WebSocket, else over the NDJSON exec (decision 1030).
     */
    int exec(Cli cli, String sandbox, List<String> command, AttachOptions attach) throws IOException {
        if (attach.attached()) {
            return AttachedExec.run(cli, sandbox, command, this, attach.tty);
        }
        try (InputStream events = cli.api().stream(Cli.byName(sandbox) + "/exec", execBody(cli, command))) {
            return new ExecStream().play(events, cli.stdout, cli.stderr);
        }
    }

    /** The body of POST …/exec. */
    ObjectNode execBody(Cli cli, List<String> command) {
        // A plain tree (no POJO): ApiClient writes it without the mapper (decision 1964).
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        command.forEach(body.putArray("cmd")::add);
        Map<String, String> vars = env(cli.env);
        if (!vars.isEmpty()) {
            vars.forEach(body.putObject("env")::put);
        }
        if (workdir != null) {
            body.put("workdir", workdir);
        }
        if (user != null) {
            body.put("user", user);
        }
        return body;
    }
}
