package io.msb.api.exec;

/**
 * How a guest process ended: with an exit code, or killed by a signal.
 *
 * @param code exit status (for a signal, 128 + signal, as shells report it)
 * @param signal the signal that killed it, or 0
 */
public record ExecExit(int code, int signal) {
    public boolean success() {
        return code == 0 && signal == 0;
    }
}
