package io.msb.api.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DaemonThreadsTest {
    @Test
    void startedThreadsAreNamedDaemonsThatRunTheirTask() throws Exception {
        var ran = new CompletableFuture<Thread>();
        Thread t = DaemonThreads.start("msb-test-start", () -> ran.complete(Thread.currentThread()));
        assertEquals(t, ran.get(10, TimeUnit.SECONDS));
        assertEquals("msb-test-start", t.getName());
        assertTrue(t.isDaemon());
    }

    @Test
    void numberedFactoriesCountFromOneAndNamedOnesRepeatTheName() {
        ThreadFactory numbered = DaemonThreads.numbered("msb-pool");
        ThreadFactory named = DaemonThreads.named("msb-one");
        List<Thread> threads = List.of(numbered.newThread(() -> { }), numbered.newThread(() -> { }),
                named.newThread(() -> { }), named.newThread(() -> { }));
        assertEquals(List.of("msb-pool-1", "msb-pool-2", "msb-one", "msb-one"),
                threads.stream().map(Thread::getName).toList());
        assertTrue(threads.stream().allMatch(Thread::isDaemon));
    }

    @Test
    void theSchedulerRunsOnOneDaemonThread() throws Exception {
        ScheduledExecutorService scheduler = DaemonThreads.scheduler("msb-test-timer");
        try {
            Thread first = scheduler.schedule(Thread::currentThread, 1, TimeUnit.MILLISECONDS).get(10, TimeUnit.SECONDS);
            Thread second = scheduler.submit(Thread::currentThread).get(10, TimeUnit.SECONDS);
            assertEquals(first, second);
            assertEquals("msb-test-timer", first.getName());
            assertTrue(first.isDaemon());
        } finally {
            scheduler.shutdownNow();
        }
    }
}
