package io.msb.cli.internal;

import io.msb.api.MsbException;
import io.msb.api.NotFoundException;
import io.msb.api.fs.FileStat;
import io.msb.api.fs.SandboxFs;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** A sandbox's side of {@code msb cp}, through its agent's file operations ({@link SandboxFs}). */
final class GuestFiles implements CpFiles {
    /** A directory is made owner-only until its content is in, then given its source's mode. */
    private static final int DIRECTORY_WHILE_FILLED = 0700;
    private static final int SYMLINK_MODE = 0777;

    private final String sandbox;
    private final SandboxFs fs;

    GuestFiles(String sandbox, SandboxFs fs) {
        this.sandbox = sandbox;
        this.fs = fs;
    }

    @Override
    public Entry stat(String path, boolean follow) {
        if (!follow) {
            // SandboxFs's stat follows links: a readlink that answers is how a link shows itself
            try {
                fs.readlink(path);
                return new Entry(path, Kind.SYMLINK, SYMLINK_MODE, null);
            } catch (MsbException notALinkOrMissing) {
                // the stat below tells which
            }
        }
        try {
            return entry(path, fs.stat(path));
        } catch (NotFoundException e) {
            return null;
        }
    }

    private static Entry entry(String name, FileStat s) {
        Kind kind = switch (s.type()) {
        case FILE -> Kind.FILE;
        case DIRECTORY -> Kind.DIRECTORY;
        case SYMLINK -> Kind.SYMLINK;
        case OTHER -> Kind.SPECIAL;
        };
        return new Entry(name, kind, s.mode() & 07777, s.modified());
    }

    /** Names are what follows {@code directory/} in the agent's paths; any other path is refused. */
    @Override
    public List<Entry> list(String directory) {
        String prefix = directory.endsWith("/") ? directory : directory + "/";
        List<Entry> entries = new ArrayList<>();
        for (FileStat s : fs.list(directory)) {
            String path = s.path();
            if (!path.startsWith(prefix)) {
                throw new CliException("cp: the sandbox listed " + Text.printable(path) + " as an entry of "
                    + describe(directory) + "; refusing it");
            }
            entries.add(entry(path.substring(prefix.length()), s));
        }
        return entries;
    }

    @Override
    public InputStream read(String path) {
        return fs.read(path);
    }

    @Override
    public String readlink(String path) {
        return fs.readlink(path);
    }

    @Override
    public void writeFile(String path, InputStream content, int mode) {
        fs.write(path, content, mode);
    }

    @Override
    public void makeDirectory(String path) {
        fs.mkdirs(path, DIRECTORY_WHILE_FILLED);
    }

    @Override
    public void symlink(String target, String path) {
        try {
            fs.remove(path);
        } catch (NotFoundException nothingThere) {
            // the usual case
        }
        fs.symlink(target, path);
    }

    @Override
    public void setModeAndTime(String path, int mode, Instant modified) {
        fs.setStat(path, mode, null, null, modified);
    }

    @Override
    public String describe(String path) {
        return sandbox + ":" + path;
    }
}
