package io.msb.cli.internal;

import io.msb.api.MsbException;
import io.msb.protocol.AgentClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code msb cp}: copy files and directories between the host and a running sandbox (decision 1032). */
@Command(name = "cp", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Copy files and directories between the host and the running sandbox NAME, as docker cp does.",
        "One of SRC and DEST is NAME:PATH (PATH absolute in the sandbox), the other a host path.",
        "Directories are copied recursively, modes kept; symlinks are copied as symlinks.",
        "DEST an existing directory (or ending with /): SRC is copied into it; SRC ending with /. copies its "
            + "content."},
    footer = {"", "Examples:", "  msb cp ./site box:/srv/www      (creates /srv/www, or /srv/www/site if it exists)",
        "  msb cp box:/var/log/app.log .", "", "Exit status: 0 when copied, 125 otherwise."})
final class CpCommand implements Callable<Integer> {
    private final Cli cli;

    @Option(names = {"-L", "--follow-link"}, description = "Copy what a symlink SRC points to, not the link.")
    boolean follow;

    @Parameters(index = "0", paramLabel = "SRC", description = "NAME:PATH or a host path.")
    String source;

    @Parameters(index = "1", paramLabel = "DEST", description = "NAME:PATH or a host path.")
    String destination;

    CpCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws IOException {
        CpLocation[] pair = CpLocation.parsePair(source, destination);
        CpLocation src = pair[0];
        CpLocation dest = pair[1];
        String sandbox = src.inSandbox() ? src.sandbox() : dest.sandbox();
        try (AgentClient agent = SandboxAgent.connect(cli, sandbox, SandboxAgent.find(cli, sandbox))) {
            CpFiles guest = new GuestFiles(sandbox, agent.fs());
            CpFiles host = new HostFiles();
            copy(src.inSandbox() ? new TreeCopy(guest, host) : new TreeCopy(host, guest), src, dest);
            return 0;
        }
    }

    /** Runs the copy; a failure on either side becomes one line (an IOException is not the server's doing here). */
    private void copy(TreeCopy copy, CpLocation src, CpLocation dest) {
        try {
            copy.run(src, dest, follow);
        } catch (IOException e) {
            throw new CliException("cp: " + describe(e));
        } catch (UncheckedIOException e) {
            throw new CliException("cp: " + describe(e.getCause()));
        } catch (MsbException e) {
            throw new CliException("cp: " + Text.printable(String.valueOf(e.getMessage())));
        }
    }

    /** A host file error as {@code path: reason} (the JDK's messages are the bare path for some). */
    private static String describe(IOException e) {
        if (e instanceof AccessDeniedException denied) {
            return denied.getFile() + ": permission denied";
        }
        if (e instanceof NoSuchFileException missing) {
            return missing.getFile() + ": no such file or directory";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getFile() + ": " + f.getReason();
        }
        return Text.printable(String.valueOf(e.getMessage()));
    }
}
