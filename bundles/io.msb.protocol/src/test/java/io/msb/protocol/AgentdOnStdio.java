package io.msb.protocol;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * For test classes that share one real agentd on stdio and a client talking to it directly. The fields are static
 * in this class, so two subclasses must not run at the same time (the build runs test classes one after another).
 */
abstract class AgentdOnStdio {
    @TempDir
    static Path dir;
    static AgentClient client;

    @BeforeAll
    static void connect() throws Exception {
        client = Agentd.stdio(dir);
    }

    @AfterAll
    static void close() {
        if (client != null) {
            client.close();
        }
    }
}
