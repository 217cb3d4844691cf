package io.msb.e2e;

import static io.msb.e2e.Platform.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.SandboxHandle;
import io.msb.api.exec.ExecOptions;
import io.msb.api.logs.LogCursor;
import io.msb.api.logs.LogEntry;
import io.msb.api.logs.LogSource;
import io.msb.api.logs.LogStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A real VM's logs (decision 1017): the output of its exec sessions as the guest agent sent it through the relay,
 * pipe and terminal sessions, lifecycle markers and the kernel console, read from cursors and followed to the stop.
 */
@ExtendWith(PlatformExtension.class)
@Timeout(value = 15, unit = TimeUnit.MINUTES) // a hang guard, not a time assertion
class LogsIT {
    private static final Set<LogSource> ALL = EnumSet.allOf(LogSource.class);
    private static Platform platform;

    @BeforeAll
    static void platform(Platform shared) {
        platform = shared;
    }

    private static List<LogEntry> stored(String name, Set<LogSource> sources, LogCursor from) throws Exception {
        List<LogEntry> all = new ArrayList<>();
        try (LogStream s = platform.runtime().logs(name, sources, from, false)) {
            while (!s.ended()) {
                all.addAll(s.next(100, Duration.ZERO));
            }
        }
        return all;
    }

    private static String joined(List<LogEntry> entries, LogSource source) {
        StringBuilder sb = new StringBuilder();
        entries.stream().filter(e -> e.source() == source).forEach(e -> sb.append(e.text()));
        return sb.toString();
    }

    @Test
    void everySessionsOutputIsStoredAndFollowedUntilTheStop() throws Exception {
        String name = "e2e-logs";
        SandboxHandle box = platform.create(name, false);
        try {
            sh(box, "echo one; echo two >&2");
            sh(box, "seq 1 5000");
            box.exec(ExecOptions.of("/bin/sh", "-c", "echo on-a-terminal").tty(24, 80).build());

            List<LogEntry> all = stored(name, ALL, LogCursor.EMPTY);
            StringBuilder seq = new StringBuilder("one\n");
            for (int i = 1; i <= 5000; i++) {
                seq.append(i).append('\n');
            }
            assertEquals(seq.toString(), joined(all, LogSource.STDOUT));
            assertEquals("two\n", joined(all, LogSource.STDERR));
            assertTrue(joined(all, LogSource.OUTPUT).contains("on-a-terminal"), joined(all, LogSource.OUTPUT));
            String system = joined(all, LogSource.SYSTEM);
            assertTrue(system.contains("sandbox started\n"), system);
            LogEntry one = all.stream().filter(e -> e.text().equals("one\n")).findFirst().orElseThrow();
            LogEntry two = all.stream().filter(e -> e.text().equals("two\n")).findFirst().orElseThrow();
            assertEquals(one.session(), two.session(), "one session: one correlation id");
            assertEquals("two\n", stored(name, Set.of(LogSource.STDERR), one.cursor()).get(0).text());

            // what the guest kernel prints on its console while it runs is copied in as system entries
            assertTrue(sh(box, "echo '<2>msb-kernel-mark' > /dev/kmsg").exit().success());
            Platform.await("the kernel's line in the log", () -> {
                try {
                    return joined(stored(name, Set.of(LogSource.SYSTEM), LogCursor.EMPTY), LogSource.SYSTEM)
                            .contains("msb-kernel-mark");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });

            CompletableFuture<List<LogEntry>> followed = CompletableFuture.supplyAsync(() -> {
                List<LogEntry> got = new ArrayList<>();
                try (LogStream s = platform.runtime().logs(name, EnumSet.of(LogSource.STDOUT, LogSource.SYSTEM),
                        all.get(all.size() - 1).cursor(), true)) {
                    while (!s.ended()) {
                        got.addAll(s.next(100, Duration.ofSeconds(5)));
                    }
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return got;
            });
            sh(box, "echo last");
            platform.runtime().stop(name, null);
            List<LogEntry> tail = followed.get(5, TimeUnit.MINUTES);
            assertEquals("last\n", tail.stream().filter(e -> e.source() == LogSource.STDOUT).findFirst().orElseThrow()
                    .text());
            assertTrue(tail.get(tail.size() - 1).text().startsWith("sandbox stopped"), tail.toString());
        } finally {
            platform.runtime().remove(name, true);
        }
    }
}
