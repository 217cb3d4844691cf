package io.msb.itests;

import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.mavenBundle;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.systemTimeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.ops4j.pax.exam.Constants;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.cm.ConfigurationAdminOptions;
import org.ops4j.pax.exam.options.MavenArtifactProvisionOption;
import org.ops4j.pax.exam.options.ProvisionOption;

/**
 * The Felix platform the msb bundles run on in these tests, and the per-class state directory they use.
 *
 * <p>Start levels order the boot: the services and libraries first (level 3), then the configuration
 * that points every component at the test's home (level 3, after ConfigAdmin), then SCR and the msb
 * bundles (level 4). So each component sees its configuration when it is first activated and never
 * touches the user's real {@code ~/.msb}.
 */
public final class MsbPlatform {
    /** Framework property carrying the home directory of the running test class into the container. */
    public static final String HOME_PROPERTY = "msb.itests.home";
    /** The directory components would use if their configuration arrived too late: it must stay absent. */
    public static final String UNCONFIGURED = "unconfigured";

    public static final String STORE_PID = "io.msb.store";
    public static final String RUNTIME_PID = "io.msb.runtime";
    public static final String HTTP_PID = "io.msb.http";
    /** The other components that keep state under the home; each bundle's PID is its name. */
    public static final List<String> OTHER_HOME_PIDS = List.of("io.msb.image", "io.msb.rootfs", "io.msb.vmm.qemu",
            "io.msb.volume");

    /** Bundles every test needs ACTIVE. */
    public static final List<String> CORE_BUNDLES = List.of(
            "io.msb.api", "io.msb.protocol", "io.msb.store", "io.msb.network", "io.msb.runtime", "io.msb.shell");

    private static final int LEVEL_PLATFORM = Constants.START_LEVEL_DEFAULT_PROVISION;
    private static final int LEVEL_MSB = LEVEL_PLATFORM + 1;

    private MsbPlatform() {
    }

    /**
     * A fresh home, short and under /tmp whatever the checkout's path: a sandbox's sockets live below it and unix
     * socket paths are limited to 108 bytes, so a long home refuses names the tests use.
     * A shutdown hook removes it; links in it (a shared kernel cache) are removed, not followed.
     */
    public static Path newHome(Class<?> testClass) {
        try {
            Path home = Files.createTempDirectory("msb-it-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(home)));
            return home;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a test home for " + testClass.getSimpleName(), e);
        }
    }

    private static void delete(Path home) {
        try (Stream<Path> walk = Files.walk(home)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + home, e);
        }
    }

    /** Everything needed to run the msb bundles with their state in {@code home}. */
    public static Option[] forHome(Path home) {
        return options(
                systemTimeout(60_000),
                frameworkProperty(HOME_PROPERTY).value(home.toString()),
                // Only used if a component ran before its configuration arrived; a test checks it stays unused.
                systemProperty("msb.home").value(home.resolve(UNCONFIGURED).toString()),
                junitBundles(),
                platform(),
                configuration(home),
                msb());
    }

    private static Option platform() {
        return composite(
                lib("org.osgi", "org.osgi.util.function"),
                lib("org.osgi", "org.osgi.util.promise"),
                lib("org.osgi", "org.osgi.service.component"),
                lib("org.apache.felix", "org.apache.felix.configadmin"),
                lib("org.apache.felix", "org.apache.felix.metatype"),
                lib("org.apache.felix", "org.apache.felix.gogo.runtime"),
                lib("com.fasterxml.jackson.core", "jackson-core"),
                lib("com.fasterxml.jackson.core", "jackson-annotations"),
                lib("com.fasterxml.jackson.core", "jackson-databind"),
                lib("com.fasterxml.jackson.dataformat", "jackson-dataformat-cbor"),
                lib("org.osgi", "org.osgi.service.jdbc"),
                lib("com.h2database", "h2"),
                // io.msb.rootfs: layer decompression. Compress marks these imports optional but its tar and
                // zstd code needs them, so they are installed before it resolves.
                lib("commons-io", "commons-io"),
                lib("org.apache.commons", "commons-lang3"),
                lib("commons-codec", "commons-codec"),
                lib("com.github.luben", "zstd-jni"),
                lib("org.apache.commons", "commons-compress"),
                // io.msb.network: DNS messages; its org.slf4j import is served by Pax Exam's pax-logging-api
                lib("dnsjava", "dnsjava"),
                // io.msb.network: the TLS interception CA and its leaves (decision 1301)
                lib("org.bouncycastle", "bcprov-jdk18on"),
                lib("org.bouncycastle", "bcutil-jdk18on"),
                lib("org.bouncycastle", "bcpkix-jdk18on"));
    }

    private static Option configuration(Path home) {
        return composite(homeOf(STORE_PID, home), homeOf(RUNTIME_PID, home),
                composite(OTHER_HOME_PIDS.stream().map(pid -> homeOf(pid, home)).toArray(Option[]::new)));
    }

    /** A small bundle that sets {@code home} of {@code pid} through ConfigAdmin as soon as ConfigAdmin starts. */
    private static Option homeOf(String pid, Path home) {
        // Declared as Option, but it is the provision option of that bundle.
        var config = ConfigurationAdminOptions.newConfiguration(pid).put("home", home.toString());
        if (pid.equals("io.msb.vmm.qemu")) {
            config.put("kernelBuild", "manual"); // a test never starts a guest kernel build (decision 1901)
        }
        ProvisionOption<?> seed = (ProvisionOption<?>) config.asOption();
        return seed.startLevel(LEVEL_PLATFORM);
    }

    private static Option msb() {
        return composite(
                mavenBundle("org.apache.felix", "org.apache.felix.scr").versionAsInProject().startLevel(LEVEL_MSB),
                msb("io.msb.api"),
                msb("io.msb.protocol"),
                msb("io.msb.store"),
                msb("io.msb.image"),
                msb("io.msb.rootfs"),
                msb("io.msb.network"),
                msb("io.msb.vmm.qemu"),
                msb("io.msb.runtime"),
                msb("io.msb.volume"),
                msb("io.msb.shell"));
    }

    /**
     * The Jakarta web stack of decision 0402 listening on {@code 127.0.0.1:port}, and io.msb.http keeping its
     * state in {@code home} and accepting {@code apiKey}. Add it to {@link #forHome}'s options.
     */
    public static Option http(Path home, int port, String apiKey) {
        ProvisionOption<?> seed = (ProvisionOption<?>) ConfigurationAdminOptions.newConfiguration(HTTP_PID)
                .put("home", home.toString()).put("apiKeys", apiKey).asOption();
        return composite(
                frameworkProperty("org.apache.felix.http.host").value("127.0.0.1"),
                frameworkProperty("org.osgi.service.http.port").value(String.valueOf(port)),
                // Jetty's WebSocket server, which the agent WebSocket upgrades into (decision 1016)
                frameworkProperty("org.apache.felix.jetty.websocket.enable").value("true"),
                // Jetty 12 logs through SLF4J 2, which Pax Exam's own pax-logging-api does not export; without
                // a logging backend pax-logging's fallback prints everything from DEBUG up.
                systemProperty("org.ops4j.pax.logging.DefaultServiceLog.level").value("WARN"),
                mavenBundle("org.ops4j.pax.logging", "pax-logging-api")
                        .version(System.getProperty("msb.itests.paxLoggingSlf4j2")).startLevel(LEVEL_PLATFORM),
                lib("org.apache.felix", "org.apache.felix.http.servlet-api"),
                lib("commons-fileupload", "commons-fileupload"),
                mavenBundle("org.apache.felix", "org.apache.felix.http.jetty12")
                        .version(System.getProperty("msb.itests.jetty12")).classifier("with-jetty-websockets")
                        .startLevel(LEVEL_PLATFORM),
                seed.startLevel(LEVEL_PLATFORM),
                msb("io.msb.http"));
    }

    /** io.msb.testing: test doubles such as the agentd-process VMM, for tests about something other than VMs. */
    public static Option testSupport() {
        return msb("io.msb.testing");
    }

    private static MavenArtifactProvisionOption lib(String group, String artifact) {
        return mavenBundle(group, artifact).versionAsInProject().startLevel(LEVEL_PLATFORM);
    }

    private static MavenArtifactProvisionOption msb(String artifact) {
        return mavenBundle("io.msb", artifact).versionAsInProject().startLevel(LEVEL_MSB);
    }
}
