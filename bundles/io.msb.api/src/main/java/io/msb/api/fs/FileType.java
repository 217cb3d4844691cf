package io.msb.api.fs;

/** The kind of a file in the guest. */
public enum FileType { FILE, DIRECTORY, SYMLINK, OTHER }
