package io.msb.api.exec;

/** Receives a streamed command's events, on one thread at a time, in order. */
@FunctionalInterface
public interface ExecListener {
    void onEvent(ExecEvent event);
}
