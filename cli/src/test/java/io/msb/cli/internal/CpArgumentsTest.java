package io.msb.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.cli.internal.CpFiles.Entry;
import io.msb.cli.internal.CpFiles.Kind;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** msb cp's argument forms and docker cp's destination rules. */
class CpArgumentsTest {
    private static final Entry DIRECTORY = new Entry("d", Kind.DIRECTORY, 0755, null);
    private static final Entry FILE = new Entry("f", Kind.FILE, 0644, null);

    @Test
    void aColonBeforeAnySlashNamesASandbox() {
        CpLocation guest = CpLocation.parse("SRC", "box:/etc/hosts");
        assertEquals("box", guest.sandbox());
        assertEquals("/etc/hosts", guest.path());
        assertFalse(guest.directoryForm());

        CpLocation host = CpLocation.parse("DEST", "./a:b");
        assertFalse(host.inSandbox());
        assertEquals(Path.of("a:b").toAbsolutePath().toString(), host.path());
        assertTrue(CpLocation.parse("DEST", "/tmp/x:y").path().endsWith("x:y"));
    }

    @Test
    void trailingSlashAndDotAreKeptAsFlagsAndPathsAreNormalized() {
        CpLocation dir = CpLocation.parse("DEST", "box:/srv//www/");
        assertEquals("/srv/www", dir.path());
        assertTrue(dir.directoryForm());
        assertFalse(dir.contentsOnly());
        assertEquals("www", dir.baseName());
        assertEquals("/srv", dir.parent());

        CpLocation content = CpLocation.parse("SRC", "box:/srv/./www/.");
        assertEquals("/srv/www", content.path());
        assertTrue(content.contentsOnly() && content.directoryForm());

        CpLocation root = CpLocation.parse("SRC", "box:/");
        assertEquals("/", root.path());
        assertNull(root.baseName());
        assertNull(root.parent());
        assertEquals("/b", CpLocation.parse("SRC", "box:/a/../b").path());
    }

    @Test
    void badFormsAreRefusedNamingTheArgumentAndTheRule() {
        assertEquals("SRC box:etc/hosts: the path in the sandbox must be absolute (NAME:/PATH)",
            refused(() -> CpLocation.parse("SRC", "box:etc/hosts")));
        assertEquals("DEST :/tmp: the sandbox's NAME before ':' is empty (NAME:PATH)",
            refused(() -> CpLocation.parse("DEST", ":/tmp")));
        assertEquals("SRC: must not be empty", refused(() -> CpLocation.parse("SRC", "")));
        assertTrue(refused(() -> CpLocation.parse("DEST", "-")).startsWith("DEST: '-' "));
        assertEquals("SRC and DEST: both name a sandbox; one of them must be a host path",
            refused(() -> CpLocation.parsePair("a:/x", "b:/y")));
        assertEquals("SRC and DEST: neither names a sandbox; one of them must be NAME:PATH",
            refused(() -> CpLocation.parsePair("x", "/tmp/y")));
    }

    @Test
    void theCommandRefusesBadFormsWith125BeforeTalkingToTheServer() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        // port 1: were the server asked, the message would be that it cannot be reached
        Cli cli = new Cli(new ByteArrayOutputStream(), err, new ByteArrayInputStream(new byte[0]),
            Map.of("MSB_API_URL", "http://127.0.0.1:1", "MSB_API_KEY", "msb_test"), null);
        assertEquals(125, Main.run(new String[] {"cp", "box:relative", "/tmp/x"}, cli));
        assertEquals("msb: SRC box:relative: the path in the sandbox must be absolute (NAME:/PATH)\n", err.toString());
        err.reset();
        assertEquals(125, Main.run(new String[] {"cp", "/tmp/x"}, cli));
        assertTrue(err.toString().contains("DEST"), err.toString());
    }

    @Test
    void intoAnExistingDirectoryUnderTheSourcesName() {
        CpLocation src = CpLocation.parse("SRC", "/home/me/site");
        CpLocation dest = CpLocation.parse("DEST", "box:/srv");
        assertEquals("/srv/site", TreeCopy.target(src, Kind.DIRECTORY, dest, DIRECTORY, null));
        assertEquals("/srv/site", TreeCopy.target(src, Kind.FILE, dest, DIRECTORY, null));
        CpLocation content = CpLocation.parse("SRC", "/home/me/site/.");
        assertEquals("/srv", TreeCopy.target(content, Kind.DIRECTORY, dest, DIRECTORY, null));
    }

    @Test
    void aMissingDestinationIsCreatedWhenItsParentExists() {
        CpLocation dest = CpLocation.parse("DEST", "box:/srv/www/");
        assertEquals("/srv/www",
            TreeCopy.target(CpLocation.parse("SRC", "/site"), Kind.DIRECTORY, dest, null, DIRECTORY));
        assertEquals("/srv/new.txt", TreeCopy.target(CpLocation.parse("SRC", "/a.txt"), Kind.FILE,
            CpLocation.parse("DEST", "box:/srv/new.txt"), null, DIRECTORY));
        assertEquals("cp: box:/srv/www/: no such directory (to copy a file into a directory, the directory must "
            + "exist)", refused(() -> TreeCopy.target(CpLocation.parse("SRC", "/a.txt"), Kind.FILE, dest, null,
                DIRECTORY)));
        assertEquals("cp: box:/nope/x: its parent directory does not exist", refused(() -> TreeCopy.target(
            CpLocation.parse("SRC", "/a.txt"), Kind.FILE, CpLocation.parse("DEST", "box:/nope/x"), null, null)));
        assertEquals("cp: box:/f/x: its parent directory does not exist", refused(() -> TreeCopy.target(
            CpLocation.parse("SRC", "/a.txt"), Kind.FILE, CpLocation.parse("DEST", "box:/f/x"), null, FILE)));
    }

    @Test
    void anExistingFileIsReplacedByAFileOnly() {
        CpLocation file = CpLocation.parse("DEST", "box:/etc/motd");
        assertEquals("/etc/motd", TreeCopy.target(CpLocation.parse("SRC", "/m"), Kind.FILE, file, FILE, null));
        assertEquals("/etc/motd", TreeCopy.target(CpLocation.parse("SRC", "/m"), Kind.SYMLINK, file, FILE, null));
        assertEquals("cp: cannot copy a directory to a file: box:/etc/motd", refused(() -> TreeCopy.target(
            CpLocation.parse("SRC", "/d"), Kind.DIRECTORY, file, FILE, null)));
        assertEquals("cp: box:/etc/motd/: not a directory", refused(() -> TreeCopy.target(
            CpLocation.parse("SRC", "/m"), Kind.FILE, CpLocation.parse("DEST", "box:/etc/motd/"), FILE, null)));
        assertEquals("cp: /m/: not a directory (a trailing / or /. asks for one)", refused(() -> TreeCopy.target(
            CpLocation.parse("SRC", "/m/"), Kind.FILE, file, FILE, null)));
    }

    @Test
    void hostModesAreTheRwxBits() {
        assertEquals("rwxr-xr-x", java.nio.file.attribute.PosixFilePermissions.toString(HostFiles.permissions(04755)));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(HostFiles.permissions(0600)));
        assertEquals("-w---x-w-", java.nio.file.attribute.PosixFilePermissions.toString(HostFiles.permissions(0212)));
    }

    private static String refused(Runnable r) {
        return assertThrows(CliException.class, r::run).getMessage();
    }
}
