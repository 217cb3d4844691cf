package io.msb.network.internal.intercept;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.network.HostPattern;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.SecretEntry;
import io.msb.api.network.ViolationAction;
import io.msb.network.internal.policy.SandboxPolicy;
import io.msb.network.internal.stack.RecordingDialerForTests;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class SandboxInterceptTest {
    static final String VALUE = "the-value-itself";

    @Test
    void eachViolationActionCountsLogsAndTerminatesAsItSays() {
        List<String> terminations = new ArrayList<>();
        List<String> logged = new ArrayList<>();
        Logger jul = Logger.getLogger(SandboxIntercept.class.getName());
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                logged.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        jul.addHandler(h);
        try {
            NetworkConfig c = NetworkConfig.defaults();
            SandboxIntercept s = new SandboxIntercept("sb", c, SandboxPolicy.compile(c, List.of()), null,
                    new RecordingDialerForTests(), null, terminations::add);
            SecretEntry e = SecretEntry.of("API_KEY", VALUE, List.of(HostPattern.exact("api.test")));

            assertNull(s.violation(e, "evil.test", ViolationAction.BLOCK));
            assertEquals(List.of(), logged, "block: no log line");
            assertNull(s.violation(e, "evil.test", ViolationAction.BLOCK_AND_LOG));
            assertEquals(1, logged.size());
            assertTrue(logged.get(0).contains("sb") && logged.get(0).contains("evil.test")
                    && logged.get(0).contains("API_KEY"), logged.get(0));
            String reason = s.violation(e, "evil.test", ViolationAction.BLOCK_AND_TERMINATE);
            assertEquals("secret violation requested sandbox termination: API_KEY to evil.test", reason);
            assertEquals(2, logged.size());
            s.terminate(reason);
            assertEquals(List.of(reason), terminations);

            assertEquals(3, s.denials());
            assertEquals(3, s.recentDenials().size());
            for (String text : concat(logged, terminations, s.recentDenials())) {
                assertFalse(text.contains(VALUE), text);
            }
        } finally {
            jul.removeHandler(h);
        }
    }

    @SafeVarargs
    static List<String> concat(List<String>... lists) {
        List<String> all = new ArrayList<>();
        for (List<String> l : lists) {
            all.addAll(l);
        }
        return all;
    }
}
