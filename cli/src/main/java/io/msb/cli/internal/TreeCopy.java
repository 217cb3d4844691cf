package io.msb.cli.internal;

import io.msb.cli.internal.CpFiles.Entry;
import io.msb.cli.internal.CpFiles.Kind;
import java.io.IOException;
import java.io.InputStream;

/**
 * Copies a file, symlink or directory tree from one side to the other, streaming each file (decision 1032). Links
 * are copied as links; devices, FIFOs and sockets are refused. A directory's mode is set once its content is in,
 * so a read-only directory can still be filled.
 */
final class TreeCopy {
    private final CpFiles from;
    private final CpFiles to;

    TreeCopy(CpFiles from, CpFiles to) {
        this.from = from;
        this.to = to;
    }

    /** Copies {@code src} to {@code dest} by docker cp's rules; {@code follow}: a symlink SRC is followed (-L). */
    void run(CpLocation src, CpLocation dest, boolean follow) throws IOException {
        Entry source = from.stat(src.path(), follow);
        if (source == null) {
            throw new CliException("cp: " + src.arg() + ": no such file or directory");
        }
        Entry destination = to.stat(dest.path(), true);
        Entry destinationParent = destination != null || dest.parent() == null ? null : to.stat(dest.parent(), true);
        String target = target(src, source.kind(), dest, destination, destinationParent);
        if (target.equals(dest.path()) && destination != null && destination.kind() == Kind.DIRECTORY) {
            copyEntries(src.path(), target); // into a directory that is there: it keeps its own mode
        } else {
            copy(src.path(), source, target);
        }
    }

    /**
     * Where SRC lands, by docker cp's rules: into DEST when it is a directory (under SRC's name, or SRC's content
     * for {@code SRC/.}), else at DEST itself.
     *
     * @param destination what is at DEST (symlinks followed), null when nothing
     * @param destinationParent what is at DEST's parent, when DEST is missing
     */
    static String target(CpLocation src, Kind sourceKind, CpLocation dest, Entry destination,
            Entry destinationParent) {
        boolean directory = sourceKind == Kind.DIRECTORY;
        if (src.directoryForm() && !directory) {
            throw new CliException("cp: " + src.arg() + ": not a directory (a trailing / or /. asks for one)");
        }
        if (destination != null && destination.kind() == Kind.DIRECTORY) {
            String name = src.baseName();
            return src.contentsOnly() || name == null ? dest.path() : join(dest.path(), name);
        }
        if (destination != null) {
            if (directory) {
                throw new CliException("cp: cannot copy a directory to a file: " + dest.arg());
            }
            if (dest.directoryForm()) {
                throw new CliException("cp: " + dest.arg() + ": not a directory");
            }
            return dest.path();
        }
        if (dest.directoryForm() && !directory) {
            throw new CliException("cp: " + dest.arg() + ": no such directory (to copy a file into a directory, "
                + "the directory must exist)");
        }
        if (dest.parent() != null && (destinationParent == null || destinationParent.kind() != Kind.DIRECTORY)) {
            throw new CliException("cp: " + dest.arg() + ": its parent directory does not exist");
        }
        return dest.path();
    }

    private void copy(String src, Entry entry, String dst) throws IOException {
        switch (entry.kind()) {
        case FILE -> {
            try (InputStream content = from.read(src)) {
                to.writeFile(dst, content, entry.mode());
            }
            to.setModeAndTime(dst, entry.mode(), entry.modified());
        }
        case SYMLINK -> to.symlink(from.readlink(src), dst);
        case DIRECTORY -> {
            to.makeDirectory(dst);
            copyEntries(src, dst);
            to.setModeAndTime(dst, entry.mode(), entry.modified());
        }
        case SPECIAL -> throw new CliException("cp: " + from.describe(src) + ": is a device, FIFO or socket; "
            + "msb cp copies files, directories and symlinks only");
        }
    }

    private void copyEntries(String srcDirectory, String dstDirectory) throws IOException {
        for (Entry child : from.list(srcDirectory)) {
            String name = child.name();
            // a name from a sandbox is untrusted: one that is not a single component could write elsewhere
            if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0
                    || name.indexOf('\0') >= 0) {
                throw new CliException("cp: " + from.describe(srcDirectory) + " lists an entry named \""
                    + Text.printable(name) + "\", which is not a file name; refusing it");
            }
            copy(join(srcDirectory, name), child, join(dstDirectory, name));
        }
    }

    static String join(String directory, String name) {
        return directory.endsWith("/") ? directory + name : directory + "/" + name;
    }
}
