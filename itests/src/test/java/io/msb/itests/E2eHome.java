package io.msb.itests;

import static org.junit.Assume.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** What the {@code *E2EIT} classes (real VMs, decision 0521) share: their home and the host tools they need. */
final class E2eHome {
    private E2eHome() {
    }

    /**
     * Runs in the test JVM before Felix starts: a home of {@link MsbPlatform#newHome} whose {@code kernel} links to
     * the shared cache of the e2e tests, so Debian's kernel is fetched once.
     */
    static Path create(Class<?> testClass) throws IOException {
        Path home = MsbPlatform.newHome(testClass);
        Path kernels = Path.of(System.getProperty("msb.e2e.kernelCache",
                System.getProperty("user.home") + "/.msb/kernel"));
        Files.createDirectories(kernels);
        Files.createSymbolicLink(home.resolve("kernel"), kernels);
        return home;
    }

    /** Skips the calling test when a host tool a real VM needs is missing. */
    static void requireHostTools() {
        for (String tool : List.of("qemu-system-x86_64", "mke2fs", "debugfs", "apt-get", "dpkg-deb")) {
            assumeTrue("this test needs " + tool + " on PATH", onPath(tool));
        }
    }

    private static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin";
        return Stream.of(path.split(":")).anyMatch(dir -> Files.isExecutable(Path.of(dir, tool)));
    }
}
