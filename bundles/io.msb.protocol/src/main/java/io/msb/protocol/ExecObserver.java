package io.msb.protocol;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Sees the exec sessions that pass through an {@link AgentRelay}, whichever client runs them: the requests, the
 * output the agent sends back, the ends. Called on the relay's own observer thread, never on its frame path, in
 * the order the relay saw the frames; a slow observer loses output (reported by {@link #dropped}) rather than
 * delaying any client.
 */
@ConsumerType
public interface ExecObserver {
    /** A client asked for a new exec session with correlation id {@code session}. */
    void started(int session, Exec.Request request);

    /** Output of a session: standard error when {@code stderr}, else standard output (a terminal's too). */
    void output(int session, boolean stderr, byte[] data);

    /** The session ended (exited or failed); its id may be used again later. */
    void ended(int session);

    /** {@code bytes} of frames were not observed because the observer fell behind. */
    void dropped(long bytes);
}
