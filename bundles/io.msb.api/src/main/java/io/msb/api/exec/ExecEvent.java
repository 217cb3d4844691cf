package io.msb.api.exec;

/** What a streamed exec reports, in order: Started, then output, then exactly one Exited or Failed. */
public sealed interface ExecEvent {
    record Started(long pid) implements ExecEvent {
    }

    record Stdout(byte[] data) implements ExecEvent {
    }

    record Stderr(byte[] data) implements ExecEvent {
    }

    record Exited(ExecExit exit) implements ExecEvent {
    }

    record Failed(ExecFailureKind kind, String message) implements ExecEvent {
    }
}
