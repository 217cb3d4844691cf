package io.msb.cli.internal;

import picocli.CommandLine.Option;

/** run's and exec's -i and -t: the command is attached to this process's stdin, or to its terminal (decision 1030). */
final class AttachOptions {
    @Option(names = {"-i", "--interactive"}, description = "Stream this process's stdin to the command.")
    boolean interactive;

    @Option(names = {"-t", "--tty"},
        description = "With -i: run the command in a terminal connected to this one (raw mode, its size, Ctrl-C as a "
            + "key); COMMAND defaults to the sandbox's shell. Needs a terminal on stdin.")
    boolean tty;

    /** Attached commands run over the agent WebSocket; the others over the NDJSON exec. */
    boolean attached() {
        return interactive || tty;
    }

    /** Refuses what cannot work before anything is created or run. */
    void check() {
        if (tty && !interactive) {
            throw new CliException("--tty: use it with --interactive (-it): a terminal needs its keys");
        }
        if (tty) {
            HostTerminal.requireTty("--tty needs a terminal on stdin (leave out -t, and use -i to send piped input)");
        }
    }
}
