package io.msb.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code msb pause} and {@code msb resume} of the real CLI through the built server's HTTP API (decision 1224):
 * {@code ls} shows paused, exec is refused meanwhile, and a paused sandbox stops.
 */
@Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES) // a hang guard, not a time assertion
class PauseCliIT {
    private static final String BOX = "pause-box";

    private static void assertOk(HostCommand.Result r, MsbServer server) {
        assertEquals(0, r.exit(), r.output() + "\n" + server.logTail());
    }

    /** The STATUS column of {@code msb ls} for the box. */
    private static String listed(MsbServer server) throws Exception {
        HostCommand.Result ls = server.msb("ls");
        assertOk(ls, server);
        return ls.output().lines().filter(l -> l.startsWith(BOX + " ")).findFirst()
                .orElseThrow(() -> new AssertionError(ls.output())).split("\\s+")[1];
    }

    @Test
    void pauseAndResumeThroughTheServer() throws Exception {
        Platform.requireHostTools();
        try (MsbServer server = MsbServer.startBuilt()) {
            assertOk(server.msb("create", "--name", BOX, "builtin:busybox"), server);

            HostCommand.Result paused = server.msb("pause", BOX);
            assertOk(paused, server);
            assertEquals(BOX, paused.output().trim());
            assertEquals("paused", listed(server));
            HostCommand.Result refused = server.msb("exec", BOX, "--", "true");
            assertNotEquals(0, refused.exit(), refused.output());
            assertTrue(refused.output().contains("paused"), refused.output());
            assertOk(server.msb("pause", BOX), server); // already paused: no change, no error

            assertOk(server.msb("resume", BOX), server);
            assertEquals("running", listed(server));
            HostCommand.Result echo = server.msb("exec", BOX, "--", "echo", "back");
            assertOk(echo, server);
            assertEquals("back", echo.output().trim());

            assertOk(server.msb("pause", BOX), server);
            assertOk(server.msb("stop", BOX), server);
            assertEquals("stopped", listed(server));
            HostCommand.Result notRunning = server.msb("resume", BOX);
            assertNotEquals(0, notRunning.exit(), notRunning.output());
            assertTrue(notRunning.output().contains("only a paused sandbox can be resumed"), notRunning.output());
        }
    }
}
