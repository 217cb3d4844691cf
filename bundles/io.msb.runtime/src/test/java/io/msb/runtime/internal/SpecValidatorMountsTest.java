package io.msb.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import io.msb.api.Mount;
import io.msb.api.SandboxSpec;
import io.msb.api.spi.VmmCapabilities;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Decision 1200: the mount rules, each error naming the entry's field and the rule. */
class SpecValidatorMountsTest {
    @TempDir
    Path tmp;
    private Path home;
    private Path dir;
    private Path image;

    @BeforeEach
    void files() throws IOException {
        home = Files.createDirectories(tmp.resolve("home"));
        Files.createDirectories(home.resolve("sandboxes/x"));
        dir = Files.createDirectories(tmp.resolve("project"));
        image = Files.write(tmp.resolve("disk.img"), new byte[4096]);
    }

    private SandboxSpec validated(Mount... mounts) {
        return SpecValidator.validateMounts(SandboxSpec.builder("m").image("alpine").mounts(List.of(mounts)).build(),
                home, null);
    }

    private InvalidConfigException rejected(Mount... mounts) {
        return assertThrows(InvalidConfigException.class, () -> validated(mounts));
    }

    private void rejected(String field, String rule, Mount... mounts) {
        InvalidConfigException e = rejected(mounts);
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.getMessage().contains(rule), e.getMessage());
    }

    @Test
    void validMountsPassAndHostPathsAreRecordedResolved() throws IOException {
        Path link = Files.createSymbolicLink(tmp.resolve("link"), dir);
        Path imageLink = Files.createSymbolicLink(tmp.resolve("img-link"), image);
        SandboxSpec s = validated(Mount.bind(link.toString(), "/work").asReadOnly(), Mount.tmpfs("/t", 32),
                Mount.diskImage(imageLink.toString(), "/work/img", null, null));
        assertEquals(dir.toRealPath().toString(), s.mounts().get(0).source(), "the link was followed once, now");
        assertTrue(s.mounts().get(0).readOnly());
        assertEquals(Mount.tmpfs("/t", 32), s.mounts().get(1));
        assertEquals(image.toRealPath().toString(), s.mounts().get(2).source());
        assertEquals("raw", s.mounts().get(2).format());
        assertEquals("ext4", s.mounts().get(2).fstype());
    }

    @ParameterizedTest
    @ValueSource(strings = {"relative", "/", "/a/../b", "/a/./b", "/a//b", "/a/", "/proc", "/proc/x", "/sys/fs", "/dev",
        "/dev/shm"})
    void guestPathsMustBeAbsoluteNormalizedAndOutsideTheKernelsFileSystems(String guest) {
        InvalidConfigException e = rejected(Mount.tmpfs("/ok", 0), Mount.tmpfs(guest, 0));
        assertEquals("mounts[1].guest", e.field(), e.getMessage());
    }

    @Test
    void guestPathsAreUnique() {
        rejected("mounts[1].guest", "mounted twice", Mount.tmpfs("/t", 0), Mount.bind(dir.toString(), "/t"));
    }

    @Test
    void hostPathsMustBeAbsoluteExistingAndOfTheRightKind() {
        rejected("mounts[0].host", "must be an absolute host path", Mount.bind("project", "/p"));
        rejected("mounts[0].host", "does not exist", Mount.bind(tmp.resolve("missing").toString(), "/p"));
        rejected("mounts[0].host", "must be a directory", Mount.bind(image.toString(), "/p"));
        rejected("mounts[0].host", "must be a regular file", Mount.diskImage(dir.toString(), "/p", null, null));
    }

    @Test
    void msbsHomeIsNeitherSharedNorContainedInAShare() throws IOException {
        rejected("mounts[0].host", "must not be inside or contain msb's home", Mount.bind(home.resolve("sandboxes/x")
                .toString(), "/p"));
        rejected("mounts[0].host", "must not be inside or contain msb's home", Mount.bind(tmp.toString(), "/p"));
        Path sneaky = Files.createSymbolicLink(tmp.resolve("innocent"), home.resolve("sandboxes"));
        rejected("mounts[0].host", "must not be inside or contain msb's home", Mount.bind(sneaky.toString(), "/p"));
    }

    @Test
    void fieldsOfOtherKindsAndBadValuesAreRefused() {
        rejected("mounts[0].size_mib", "tmpfs mounts only",
                new Mount(dir.toString(), "/p", Mount.Kind.BIND, false, false, false, false, 8, null, null));
        rejected("mounts[0].format", "disk_image mounts only",
                new Mount(dir.toString(), "/p", Mount.Kind.BIND, false, false, false, false, 0, "raw", null));
        rejected("mounts[0].size_mib", "must not be negative", Mount.tmpfs("/t", -1));
        rejected("mounts[0].format", "raw or qcow2", Mount.diskImage(image.toString(), "/d", "vmdk", null));
        rejected("mounts[0].fstype", "letters, digits", Mount.diskImage(image.toString(), "/d", null, "ext4,dax"));
    }

    @Test
    void namedVolumesNeedAValidNameAndTheVolumeService() {
        rejected("mounts[0].name", "must be a volume name", Mount.volume("../x", "/v"));
        rejected("mounts[0].name", "no volume service is running", Mount.volume("cache", "/v"));
    }

    @Test
    void atMost64Mounts() {
        Mount[] many = IntStream.range(0, 65).mapToObj(i -> Mount.tmpfs("/t" + i, 0)).toArray(Mount[]::new);
        rejected("mounts", "at most 64", many);
        assertEquals(64, validated(java.util.Arrays.copyOf(many, 64)).mounts().size());
    }

    @Test
    void aBackendWithoutVolumesRefusesHostMountsButNotTmpfs() {
        VmmCapabilities plain = new VmmCapabilities(1, 8, 64, 4096, Set.of());
        SandboxSpec tmpfs = SandboxSpec.builder("m").image("alpine").cpus(1).memoryMib(128)
                .mount(Mount.tmpfs("/t", 0)).build();
        SpecValidator.validateLimits(tmpfs, "plain", plain);
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> SpecValidator.validateLimits(
                tmpfs.toBuilder().mount(Mount.bind(dir.toString(), "/p")).build(), "plain", plain));
        assertEquals("mounts", e.field());
    }
}
