package io.msb.network.internal.stack;

import io.msb.api.spi.DaemonThreads;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;

/**
 * One selector thread. Every channel and timer of a sandbox's stack lives on one loop, so a stack's state is
 * touched by one thread only and needs no locks. Loops are shared by many stacks (never a thread per flow).
 */
public final class EventLoop implements Executor, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EventLoop.class.getName());

    /** Something registered on the loop's selector. */
    public interface Handler {
        void ready(SelectionKey key) throws IOException;

        /** A handler threw: the loop survives, the handler's flow is torn down here. */
        void failed(Throwable error);

        /**
         * For a handler whose key reported its pending connect done: completes it, then runs connected, or
         * refused when the connect failed (refused, unreachable, reset: the handler's reaction is the same).
         */
        static void finishConnect(SocketChannel channel, Runnable connected, Runnable refused) {
            try {
                channel.finishConnect();
            } catch (IOException e) {
                refused.run();
                return;
            }
            connected.run();
        }
    }

    /** A pending timer; {@link #cancel()} is idempotent. */
    public static final class Timer implements Comparable<Timer> {
        final long due;
        final Runnable task;
        private final long order;
        boolean cancelled;

        Timer(long due, long order, Runnable task) {
            this.due = due;
            this.order = order;
            this.task = task;
        }

        public void cancel() {
            cancelled = true;
        }

        @Override
        public int compareTo(Timer o) {
            int c = Long.compare(due, o.due);
            return c != 0 ? c : Long.compare(order, o.order);
        }
    }

    private final Selector selector;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private long timerOrder;
    private volatile boolean closed;

    public EventLoop(String name) {
        try {
            selector = Selector.open();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        thread = DaemonThreads.start(name, this::run);
    }

    public boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    @Override
    public void execute(Runnable task) {
        tasks.add(task);
        selector.wakeup();
    }

    /** Loop thread only. */
    public Timer schedule(long delayMillis, Runnable task) {
        Timer t = new Timer(System.nanoTime() / 1_000_000 + Math.max(0, delayMillis), timerOrder++, task);
        timers.add(t);
        return t;
    }

    /** Loop thread only. */
    public SelectionKey register(SelectableChannel channel, int ops, Handler handler) throws ClosedChannelException {
        return channel.register(selector, ops, handler);
    }

    private void run() {
        while (!closed) {
            try {
                long wait = 0;
                Timer next = timers.peek();
                if (next != null) {
                    wait = Math.max(1, next.due - System.nanoTime() / 1_000_000);
                }
                if (tasks.isEmpty()) {
                    selector.select(wait);
                } else {
                    selector.selectNow();
                }
                for (SelectionKey key : selector.selectedKeys()) {
                    Handler h = (Handler) key.attachment();
                    try {
                        if (key.isValid()) {
                            h.ready(key);
                        }
                    } catch (Throwable e) {
                        fail(h, e);
                    }
                }
                selector.selectedKeys().clear();
                Runnable task;
                while ((task = tasks.poll()) != null) {
                    runSafely(task);
                }
                long now = System.nanoTime() / 1_000_000;
                while ((next = timers.peek()) != null && next.due <= now) {
                    timers.poll();
                    if (!next.cancelled) {
                        runSafely(next.task);
                    }
                }
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "network loop " + thread.getName() + " failed a round", e);
            }
        }
        try {
            selector.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing a selector", e);
        }
    }

    private static void runSafely(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "network task failed", e);
        }
    }

    private static void fail(Handler h, Throwable e) {
        LOG.log(System.Logger.Level.DEBUG, "network flow failed", e);
        try {
            h.failed(e);
        } catch (RuntimeException again) {
            LOG.log(System.Logger.Level.ERROR, "tearing down a failed flow failed", again);
        }
    }

    @Override
    public void close() {
        closed = true;
        selector.wakeup();
        if (!inLoop()) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
