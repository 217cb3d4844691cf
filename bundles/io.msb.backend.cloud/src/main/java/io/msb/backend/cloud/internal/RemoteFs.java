package io.msb.backend.cloud.internal;

import io.msb.api.MsbException;
import io.msb.api.NotFoundException;
import io.msb.api.SandboxHandle;
import io.msb.api.UnsupportedFeatureException;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecResult;
import io.msb.api.fs.FileStat;
import io.msb.api.fs.FileType;
import io.msb.api.fs.SandboxFs;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A remote sandbox's files through its exec route (decision 1725): the HTTP API has no file route for a sandbox
 * yet, so each operation is one command of the guest's own POSIX tools ({@code cat}, {@code stat}, {@code mkdir}
 * …, busybox's or coreutils'), with paths passed as arguments, never spliced into a script. An image without a
 * shell and those tools cannot be reached this way; the error says which command failed.
 */
final class RemoteFs implements SandboxFs {
    /** {@code stat -c}: raw mode (hex), size, uid, gid, mtime (epoch seconds), then the name (may hold spaces). */
    private static final String STAT_FORMAT = "%f %s %u %g %Y %n";
    private final SandboxHandle sandbox;
    private final String backend;

    RemoteFs(SandboxHandle sandbox, String backend) {
        this.sandbox = sandbox;
        this.backend = backend;
    }

    @Override
    public FileStat stat(String path) {
        return parseStat(path, run(path, null, "stat", "-c", STAT_FORMAT, "--", path).stdoutText().strip());
    }

    @Override
    public List<FileStat> list(String directory) {
        String out = run(directory, null, "sh", "-c", "cd -- \"$1\" || exit 1; for f in * .*; do"
                + " case \"$f\" in .|..) continue;; esac;"
                + " if [ -e \"$f\" ] || [ -L \"$f\" ]; then stat -c '" + STAT_FORMAT + "' -- \"$f\"; fi; done",
                "sh", directory).stdoutText();
        List<FileStat> entries = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                FileStat s = parseStat(null, line);
                entries.add(new FileStat(directory.endsWith("/") ? directory + s.path() : directory + "/" + s.path(),
                        s.type(), s.size(), s.mode(), s.uid(), s.gid(), s.modified()));
            }
        }
        return entries;
    }

    @Override
    public InputStream read(String path) {
        return new ByteArrayInputStream(run(path, null, "cat", "--", path).stdout());
    }

    @Override
    public void write(String path, InputStream content, int mode) {
        byte[] bytes;
        try {
            bytes = content.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        run(path, bytes, "sh", "-c", "cat > \"$1\" && chmod \"$2\" \"$1\"", "sh", path, octal(mode));
    }

    @Override
    public void mkdirs(String path, int mode) {
        run(path, null, "mkdir", "-p", "-m", octal(mode), "--", path);
    }

    @Override
    public void remove(String path) {
        run(path, null, "sh", "-c", "if [ -d \"$1\" ] && [ ! -L \"$1\" ]; then rmdir -- \"$1\"; else rm -- \"$1\"; fi",
                "sh", path);
    }

    @Override
    public void removeRecursive(String path) {
        run(path, null, "rm", "-rf", "--", path);
    }

    @Override
    public void rename(String from, String to) {
        run(from, null, "mv", "--", from, to);
    }

    @Override
    public void copy(String from, String to) {
        run(from, null, "cp", "--", from, to);
    }

    @Override
    public void symlink(String target, String link) {
        run(link, null, "ln", "-s", "--", target, link);
    }

    @Override
    public String readlink(String path) {
        return chomp(run(path, null, "readlink", "--", path).stdoutText());
    }

    @Override
    public String realpath(String path) {
        return chomp(run(path, null, "realpath", "--", path).stdoutText());
    }

    @Override
    public void setStat(String path, Integer mode, Integer uid, Integer gid, Instant modified) {
        if (modified != null) {
            throw new UnsupportedFeatureException("backend " + backend + ": setting a file's modification time"
                    + " is not supported over exec");
        }
        if (mode != null) {
            run(path, null, "chmod", octal(mode), "--", path);
        }
        if (uid != null || gid != null) {
            String owner = (uid == null ? "" : uid.toString()) + (gid == null ? "" : ":" + gid);
            run(path, null, "chown", owner, "--", path);
        }
    }

    /** Runs the command; a failure names the path, and "No such file" is a NotFoundException. */
    private ExecResult run(String path, byte[] stdin, String... command) {
        ExecOptions.Builder options = ExecOptions.of(command);
        if (stdin != null) {
            options.stdin(stdin);
        }
        ExecResult r = sandbox.exec(options.build());
        if (!r.exit().success()) {
            String err = RemoteErrors.printable(r.stderrText().strip());
            if (err.contains("No such file") || err.contains("can't cd")) {
                throw new NotFoundException("file", path);
            }
            throw new MsbException("backend " + backend + ": " + command[0] + " on " + path + " failed (exit "
                    + r.exit().code() + "): " + err);
        }
        return r;
    }

    /** One {@link #STAT_FORMAT} line; {@code path} null: the name from the line. */
    static FileStat parseStat(String path, String line) {
        String[] f = line.split(" ", 6);
        if (f.length != 6) {
            throw new MsbException("unexpected stat output: " + RemoteErrors.printable(line));
        }
        try {
            int raw = Integer.parseInt(f[0], 16);
            FileType type = switch (raw & 0170000) {
                case 0100000 -> FileType.FILE;
                case 0040000 -> FileType.DIRECTORY;
                case 0120000 -> FileType.SYMLINK;
                default -> FileType.OTHER;
            };
            return new FileStat(path == null ? f[5] : path, type, Long.parseLong(f[1]), raw & 07777,
                    Integer.parseInt(f[2]), Integer.parseInt(f[3]), Instant.ofEpochSecond(Long.parseLong(f[4])));
        } catch (NumberFormatException e) {
            throw new MsbException("unexpected stat output: " + RemoteErrors.printable(line));
        }
    }

    private static String octal(int mode) {
        return Integer.toOctalString(mode & 07777);
    }

    private static String chomp(String s) {
        return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }
}
