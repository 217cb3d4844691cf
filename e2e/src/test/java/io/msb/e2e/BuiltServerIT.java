package io.msb.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Base of the tests that drive the distribution's server as users start it, one server per test class
 * ({@link MsbServer#startBuilt()}): the start and the stop that every such class would otherwise repeat.
 */
abstract class BuiltServerIT {
    static MsbServer server;

    @BeforeAll
    static void startServer() throws Exception {
        Platform.requireHostTools();
        server = MsbServer.startBuilt();
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
            server = null;
        }
    }
}
