package io.msb.cli.internal;

import java.nio.file.Path;

/**
 * One argument of {@code msb cp}: {@code NAME:PATH} in a sandbox, else a host path (docker's rule: a colon before
 * any {@code /} names a sandbox, so {@code ./a:b} is a host file).
 *
 * @param arg the argument as given, for messages
 * @param sandbox the sandbox's name, null on the host
 * @param path absolute and lexically normalized, without a trailing slash (except {@code /})
 * @param directoryForm the argument ends with {@code /} or {@code /.}: it must be a directory
 * @param contentsOnly the argument ends with {@code /.}: as a source, its content is copied, not itself
 */
record CpLocation(String arg, String sandbox, String path, boolean directoryForm, boolean contentsOnly) {

    boolean inSandbox() {
        return sandbox != null;
    }

    /** The last component, null for {@code /}. */
    String baseName() {
        Path name = Path.of(path).getFileName();
        return name == null ? null : name.toString();
    }

    /** The directory {@code path} is in, null for {@code /}. */
    String parent() {
        Path parent = Path.of(path).getParent();
        return parent == null ? null : parent.toString();
    }

    /** {@code label} (SRC or DEST) names the argument in errors. */
    static CpLocation parse(String label, String arg) {
        if (arg.isEmpty()) {
            throw new CliException(label + ": must not be empty");
        }
        if (arg.indexOf('\0') >= 0) {
            throw new CliException(label + ": must not contain a NUL character");
        }
        if (arg.equals("-")) {
            throw new CliException(label + ": '-' (a tar stream on stdin or stdout) is not supported; give a path");
        }
        int colon = arg.indexOf(':');
        boolean inSandbox = colon >= 0 && arg.lastIndexOf('/', colon) < 0;
        String sandbox = inSandbox ? arg.substring(0, colon) : null;
        String raw = inSandbox ? arg.substring(colon + 1) : arg;
        if (inSandbox && sandbox.isEmpty()) {
            throw new CliException(label + " " + arg + ": the sandbox's NAME before ':' is empty (NAME:PATH)");
        }
        if (inSandbox && !raw.startsWith("/")) {
            throw new CliException(label + " " + arg + ": the path in the sandbox must be absolute (NAME:/PATH)");
        }
        boolean contentsOnly = raw.endsWith("/.") || raw.equals(".");
        boolean directoryForm = contentsOnly || raw.endsWith("/");
        Path p = Path.of(raw);
        String path = (inSandbox ? p : p.toAbsolutePath()).normalize().toString();
        return new CpLocation(arg, sandbox, path, directoryForm, contentsOnly);
    }

    /** SRC and DEST, exactly one of them in a sandbox. */
    static CpLocation[] parsePair(String source, String destination) {
        CpLocation src = parse("SRC", source);
        CpLocation dest = parse("DEST", destination);
        if (src.inSandbox() == dest.inSandbox()) {
            throw new CliException(src.inSandbox()
                ? "SRC and DEST: both name a sandbox; one of them must be a host path"
                : "SRC and DEST: neither names a sandbox; one of them must be NAME:PATH");
        }
        return new CpLocation[] {src, dest};
    }
}
