package io.msb.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code msb cp} of the real CLI against a real sandbox (decision 1032): a tree in and back out the same (bytes,
 * modes, a symlink), checked inside with the guest's own stat and sha256sum; one file each way; the refusals. Also
 * {@code bench/cli/cp-throughput.sh} on 50 MiB, printed (never asserted).
 */
class CpIT extends BuiltServerIT {
    private static final Path THROUGHPUT = Path.of("../bench/cli/cp-throughput.sh").toAbsolutePath();
    private static final String BOX = "cp-box";

    @TempDir
    Path tmp;

    /** After {@link BuiltServerIT#startServer()}: the sandbox every test here uses. */
    @BeforeAll
    static void createBox() throws Exception {
        HostCommand.Result created = server.msb("create", "--name", BOX, "builtin:busybox");
        assertEquals(0, created.exit(), created.output() + server.logTail());
    }

    @Test
    void aTreeGoesInAndComesBackTheSame() throws Exception {
        Path tree = tmp.resolve("tree");
        Files.createDirectories(tree.resolve("a/b/c"));
        byte[] big = new byte[5 << 20];
        new Random(7).nextBytes(big);
        Files.write(tree.resolve("big.bin"), big);
        Files.writeString(tree.resolve("a/b/c/note.txt"), "deep\n");
        Files.setPosixFilePermissions(tree.resolve("a/b/c/note.txt"), PosixFilePermissions.fromString("rw-r--r--"));
        Files.writeString(tree.resolve("tool.sh"), "#!/bin/sh\necho tool ran\n");
        Files.setPosixFilePermissions(tree.resolve("tool.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(tree.resolve("secret"), "only me\n");
        Files.setPosixFilePermissions(tree.resolve("secret"), PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(tree.resolve("a"), PosixFilePermissions.fromString("rwxr-x---"));
        Files.createSymbolicLink(tree.resolve("note"), Path.of("a/b/c/note.txt"));

        assertOk(server.msb("exec", BOX, "--", "rm", "-rf", "/tmp/tree"));
        assertOk(server.msb("cp", tree.toString(), BOX + ":/tmp/")); // an existing directory: into it as tree
        HostCommand.Result inside = server.msb("exec", BOX, "--", "sh", "-c", "cd /tmp/tree && stat -c '%a %n' tool.sh "
            + "secret a a/b/c/note.txt && sha256sum big.bin a/b/c/note.txt && readlink note && cat note && ./tool.sh");
        assertOk(inside);
        assertEquals(String.join("\n", "755 tool.sh", "600 secret", "750 a", "644 a/b/c/note.txt",
            sha256(big) + "  big.bin", sha256("deep\n".getBytes()) + "  a/b/c/note.txt", "a/b/c/note.txt", "deep",
            "tool ran") + "\n", inside.output());

        Path back = tmp.resolve("back");
        assertOk(server.msb("cp", BOX + ":/tmp/tree", back.toString())); // missing: created as the tree
        assertEquals(describe(tree), describe(back));
        assertArrayEquals(big, Files.readAllBytes(back.resolve("big.bin")));
    }

    @Test
    void aSingleFileGoesInAndComesBack() throws Exception {
        Path file = tmp.resolve("one.txt");
        Files.writeString(file, "one file\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        assertOk(server.msb("cp", file.toString(), BOX + ":/tmp/renamed.txt"));
        HostCommand.Result inside = server.msb("exec", BOX, "--", "sh", "-c", "stat -c '%a %s' /tmp/renamed.txt");
        assertOk(inside);
        assertEquals("640 9\n", inside.output());

        Path into = Files.createDirectory(tmp.resolve("into"));
        assertOk(server.msb("cp", BOX + ":/tmp/renamed.txt", into + "/"));
        assertEquals("one file\n", Files.readString(into.resolve("renamed.txt")));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(
            into.resolve("renamed.txt"))));
    }

    @Test
    void mistakesAreOneLineNamingTheArgument() throws Exception {
        assertRefused(server.msb("cp", BOX + ":/no/such/file", tmp.toString()),
            "msb: cp: " + BOX + ":/no/such/file: no such file or directory");
        assertRefused(server.msb("cp", BOX + ":etc/hosts", tmp.toString()),
            "msb: SRC " + BOX + ":etc/hosts: the path in the sandbox must be absolute (NAME:/PATH)");
        assertRefused(server.msb("cp", tmp.toString(), tmp.resolve("x").toString()),
            "msb: SRC and DEST: neither names a sandbox; one of them must be NAME:PATH");
        assertRefused(server.msb("cp", BOX + ":/etc/hosts", BOX + ":/tmp/hosts"),
            "msb: SRC and DEST: both name a sandbox; one of them must be a host path");
        assertRefused(server.msb("cp", tmp.resolve("nope").toString(), BOX + ":/tmp/"),
            "msb: cp: " + tmp.resolve("nope") + ": no such file or directory");
        assertRefused(server.msb("cp", BOX + ":/etc", tmp.resolve("missing/parent").toString()),
            "msb: cp: " + tmp.resolve("missing/parent") + ": its parent directory does not exist");
        HostCommand.Result special = server.msb("cp", BOX + ":/dev/null", tmp.toString());
        assertRefused(special, "msb: cp: " + BOX + ":/dev/null: is a device, FIFO or socket; msb cp copies files, "
            + "directories and symlinks only");
        HostCommand.Result unknown = server.msb("cp", tmp.toString(), "no-such-box:/tmp");
        assertEquals(125, unknown.exit(), unknown.output());
        assertTrue(unknown.output().contains("no-such-box"), unknown.output());
    }

    /** 50 MiB each way, printed for bench/cli/README.md; only that it completes (byte-identical) is checked. */
    @Test
    void throughputIsMeasured() throws Exception {
        HostCommand.Result r = HostCommand.run(Path.of("."), List.of("sh", THROUGHPUT.toString(),
            server.bin("msb").toString(), BOX, "50"), server.cliEnv());
        System.out.println(r.output());
        assertOk(r);
        assertTrue(r.output().contains("MiB/s"), r.output());
    }

    /** Every entry below {@code root}: its kind, mode, and content digest or link target. */
    private static Map<String, String> describe(Path root) throws Exception {
        Map<String, String> entries = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                String what;
                if (Files.isSymbolicLink(p)) {
                    what = "link -> " + Files.readSymbolicLink(p);
                } else {
                    String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p,
                        LinkOption.NOFOLLOW_LINKS));
                    what = Files.isDirectory(p) ? "dir " + mode : "file " + mode + " " + sha256(Files.readAllBytes(p));
                }
                entries.put(root.relativize(p).toString(), what);
            }
        }
        return entries;
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    private static void assertOk(HostCommand.Result r) {
        assertEquals(0, r.exit(), r.output() + "\n--- the server's log:\n" + server.logTail());
    }

    private static void assertRefused(HostCommand.Result r, String line) {
        assertEquals(125, r.exit(), r.output());
        assertEquals(line + "\n", r.output());
    }
}
