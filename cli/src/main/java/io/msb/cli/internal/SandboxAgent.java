package io.msb.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.msb.protocol.AgentClient;
import io.msb.protocol.AgentTransport;
import java.io.IOException;

/** A running sandbox's agent, spoken to over the server's agent WebSocket (decision 1030). */
final class SandboxAgent {
    private SandboxAgent() {
    }

    /** The sandbox's record ({@code GET /v1/sandboxes/by-name/NAME}). */
    static JsonNode find(Cli cli, String name) {
        return cli.api().get(Cli.byName(name));
    }

    /** Opens the agent of {@code sandbox} (its record, as {@link #find} returns it); the caller closes it. */
    static AgentClient connect(Cli cli, String name, JsonNode sandbox) throws IOException {
        String id = sandbox.path("id").asText("");
        if (id.isEmpty()) {
            throw new CliException("the server's answer for sandbox " + name + " has no id");
        }
        AgentTransport pipe = AgentSocket.open(cli.api(), "/v1/sandboxes/" + ApiClient.segment(id) + "/agent");
        return AgentClient.connectRelay(pipe, AgentClient.Options.DEFAULTS);
    }
}
