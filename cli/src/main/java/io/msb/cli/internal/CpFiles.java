package io.msb.cli.internal;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;

/**
 * One side of {@code msb cp}: the host's file system or a sandbox's, seen through the few operations a copy needs,
 * so one walk ({@link TreeCopy}) serves both directions. Paths are absolute, {@code /}-separated.
 */
interface CpFiles {
    enum Kind { FILE, DIRECTORY, SYMLINK, SPECIAL }

    /**
     * @param name the entry's single path component (in a listing), or the whole path (from {@link #stat})
     * @param mode permission bits with set-id and sticky bits
     * @param modified null when unknown
     */
    record Entry(String name, Kind kind, int mode, Instant modified) {
    }

    /** What is at {@code path}, or null when nothing is; {@code follow}: a symlink there is followed. */
    Entry stat(String path, boolean follow) throws IOException;

    /** The entries of a directory, symlinks not followed. */
    List<Entry> list(String directory) throws IOException;

    /** The file's content; the caller closes it. */
    InputStream read(String path) throws IOException;

    String readlink(String path) throws IOException;

    /** Creates or replaces the file at {@code path} with {@code content}. */
    void writeFile(String path, InputStream content, int mode) throws IOException;

    /** Creates the directory, or keeps the one that is there. */
    void makeDirectory(String path) throws IOException;

    /** Creates the symlink, replacing a file or symlink of that name. */
    void symlink(String target, String path) throws IOException;

    /** Gives a file or directory its source's mode and modification time (null: left as is). */
    void setModeAndTime(String path, int mode, Instant modified) throws IOException;

    /** {@code path} as the user would write it in msb cp's arguments. */
    String describe(String path);
}
