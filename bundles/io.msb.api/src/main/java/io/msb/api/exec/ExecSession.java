package io.msb.api.exec;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.osgi.annotation.versioning.ProviderType;

/** A running streamed command; events go to the listener given when it was started. */
@ProviderType
public interface ExecSession {
    void writeStdin(byte[] data);

    void closeStdin();

    /** Resizes the terminal (tty sessions only). */
    void resize(int rows, int cols);

    /** Sends a POSIX signal number to the process. */
    void signal(int signal);

    /** Completes with the exit, or exceptionally with {@link ExecFailedException}. */
    CompletionStage<ExecExit> exit();

    /** Waits for the exit; a null timeout waits forever. */
    ExecExit waitFor(Duration timeout) throws InterruptedException;
}
