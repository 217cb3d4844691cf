package io.msb.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.Version;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The real msb bundles running in a Felix framework inside the calling JVM, for tests and benches that drive the
 * platform through its services exactly as users do (decision 0902).
 *
 * <p>The bundles and the libraries they need (SCR, ConfigAdmin, Jackson, H2, Commons Compress...) are taken from
 * the caller's class path. io.msb.api is not installed: the system bundle exports the caller's copy (the export
 * header of its jar), so the services the bundles register implement the very interfaces the caller compiled
 * against, and a caller's own {@code VmmBackend} can be registered for the runtime to use. Every other class of the
 * bundles stays inside the framework: nothing outside can reach an {@code .internal} package.
 *
 * <p>Every msb configuration PID gets {@code home} before SCR starts, so no component ever sees the user's
 * {@code ~/.msb}. The framework's own storage is a temporary directory removed by {@link #close()}.
 */
public final class EmbeddedMsb implements AutoCloseable {
    /** The configuration PIDs of the msb components that keep state under a home. */
    public static final List<String> HOME_PIDS = List.of("io.msb.store", "io.msb.image", "io.msb.rootfs",
            "io.msb.vmm.qemu", "io.msb.runtime", "io.msb.volume", "io.msb.http");
    /** What every configuration gets besides {@code home}: a harness never starts a guest kernel build (1901). */
    private static final Map<String, Map<String, Object>> HARNESS_DEFAULTS = Map.of("io.msb.vmm.qemu",
            Map.of("kernelBuild", "manual"));

    /** The msb bundles of the core platform, in dependency order. */
    public static final List<String> CORE_BUNDLES = List.of("io.msb.protocol", "io.msb.store", "io.msb.image",
            "io.msb.rootfs", "io.msb.network", "io.msb.vmm.qemu", "io.msb.runtime", "io.msb.volume");

    /** Libraries the msb bundles use; each is installed when it is on the class path. */
    private static final List<String> LIBRARIES = List.of("org.osgi.util.function", "org.osgi.util.promise",
            "org.osgi.service.component", "org.apache.felix.configadmin", "org.apache.felix.gogo.runtime",
            "com.fasterxml.jackson.core.jackson-core", "com.fasterxml.jackson.core.jackson-annotations",
            "com.fasterxml.jackson.core.jackson-databind", "com.fasterxml.jackson.dataformat.jackson-dataformat-cbor",
            "org.osgi.service.jdbc", "com.h2database", "org.apache.commons.commons-io", "org.apache.commons.lang3",
            "org.apache.commons.commons-codec", "com.github.luben.zstd-jni", "org.apache.commons.commons-compress",
            "org.xbill.dns");

    private static final String SCR = "org.apache.felix.scr";
    private static final String CONFIG_ADMIN = "org.apache.felix.configadmin";
    private static final long WAIT_MILLIS = 120_000;
    /** Service property set by {@link #configure} so that it can wait for the reconfigured component. */
    private static final String GENERATION = "msb.testing.generation";
    private static final AtomicLong GENERATIONS = new AtomicLong();

    private final Path home;
    private final Path storage;
    private final Framework framework;

    private EmbeddedMsb(Path home, Path storage, Framework framework) {
        this.home = home;
        this.storage = storage;
        this.framework = framework;
    }

    /** A platform with the {@link #CORE_BUNDLES} keeping its state in {@code home}. */
    public static Builder builder(Path home) {
        return new Builder(home);
    }

    /** What to start and how to configure it. */
    public static final class Builder {
        private final Path home;
        private final List<String> bundles = new ArrayList<>(CORE_BUNDLES);
        private final Map<String, Map<String, Object>> configurations = new LinkedHashMap<>();

        private Builder(Path home) {
            this.home = home.toAbsolutePath();
            HOME_PIDS.forEach(pid -> configure(pid, Map.of("home", this.home.toString())));
            HARNESS_DEFAULTS.forEach(this::configure);
        }

        /** Starts exactly these msb bundles (symbolic names), in this order, instead of the core ones. */
        public Builder bundles(String... symbolicNames) {
            bundles.clear();
            bundles.addAll(List.of(symbolicNames));
            return this;
        }

        /** Adds {@code properties} to the configuration of {@code pid}, set before any component starts. */
        public Builder configure(String pid, Map<String, ?> properties) {
            configurations.computeIfAbsent(pid, p -> new LinkedHashMap<>()).putAll(properties);
            return this;
        }

        public EmbeddedMsb start() {
            Map<String, Path> onClassPath = bundlesOnClassPath();
            Path storage;
            try {
                storage = Files.createTempDirectory("msb-felix-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Map<String, String> properties = new HashMap<>();
            properties.put(Constants.FRAMEWORK_STORAGE, storage.toString());
            properties.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
            properties.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, apiExports());
            properties.put("felix.log.level", "1"); // errors only
            Framework framework = ServiceLoader.load(FrameworkFactory.class, EmbeddedMsb.class.getClassLoader()).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no OSGi framework on the class path"
                            + " (add org.apache.felix:org.apache.felix.framework)"))
                    .newFramework(properties);
            EmbeddedMsb msb = new EmbeddedMsb(home, storage, framework);
            try {
                framework.start();
                BundleContext context = framework.getBundleContext();
                List<Bundle> installed = new ArrayList<>();
                for (String name : LIBRARIES) {
                    Path location = onClassPath.get(name);
                    if (location != null) {
                        installed.add(install(context, location));
                    }
                }
                for (String name : bundles) {
                    installed.add(install(context, require(onClassPath, name)));
                }
                Bundle scr = install(context, require(onClassPath, SCR));
                // Configurations first, SCR last: each component is activated once, with its configuration.
                Bundle configAdmin = installed.stream().filter(b -> CONFIG_ADMIN.equals(b.getSymbolicName()))
                        .findFirst().orElseThrow(() -> new IllegalStateException(
                                "org.apache.felix.configadmin is not on the class path"));
                configAdmin.start();
                configurations.forEach(msb::update);
                for (Bundle b : installed) {
                    if (b.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                        b.start();
                    }
                }
                scr.start();
                return msb;
            } catch (BundleException | RuntimeException e) {
                msb.close();
                throw new IllegalStateException("cannot start the msb platform: " + e.getMessage(), e);
            }
        }
    }

    public Path home() {
        return home;
    }

    /** The framework's context, e.g. to register a service the platform should use. */
    public BundleContext context() {
        return framework.getBundleContext();
    }

    /** The service of that type (the highest ranked), waiting for it to appear. */
    public <T> T service(Class<T> type) {
        return service(type, null);
    }

    /** The service of that type matching an LDAP {@code filter} (or any when null), waiting for it to appear. */
    public <T> T service(Class<T> type, String filter) {
        BundleContext context = context();
        String objectClass = "(" + Constants.OBJECTCLASS + "=" + type.getName() + ")";
        Filter f;
        try {
            f = context.createFilter(filter == null ? objectClass : "(&" + objectClass + filter + ")");
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException("filter: " + e.getMessage(), e);
        }
        ServiceTracker<T, T> tracker = new ServiceTracker<>(context, f, null);
        tracker.open();
        try {
            if (tracker.waitForService(WAIT_MILLIS) == null) {
                throw new IllegalStateException("no " + type.getName() + (filter == null ? "" : " " + filter)
                        + " appeared; bundles not active: " + notActive());
            }
            // Got outside the tracker and never released: SCR would deactivate a delayed component (e.g. close the
            // store) as soon as its last user let go.
            return context.getService(tracker.getServiceReference());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            tracker.close();
        }
    }

    /** Registers {@code service} in the platform, e.g. a VMM backend for the runtime to use. */
    public <T> ServiceRegistration<T> register(Class<T> type, T service, Map<String, ?> properties) {
        return context().registerService(type, service, new Hashtable<>(properties));
    }

    /**
     * Replaces the configuration of {@code pid} with {@code properties} (plus {@code home}) and returns once the
     * component it configures registered its service again with them and every bundle that used the old service
     * uses the new one: until then the old one may still be in use, or none at all (a consumer's bind runs in the
     * registering thread after the service is already visible in the registry).
     */
    public void configure(String pid, Map<String, ?> properties) {
        long generation = GENERATIONS.incrementAndGet();
        Map<String, Object> all = new LinkedHashMap<>();
        if (HOME_PIDS.contains(pid)) {
            all.put("home", home.toString());
        }
        all.putAll(HARNESS_DEFAULTS.getOrDefault(pid, Map.of()));
        all.putAll(properties);
        all.put(GENERATION, generation);
        // not the system bundle: it holds what service() handed the caller, who asks service() again for the new one
        List<Bundle> consumers = usingBundles("(" + Constants.SERVICE_PID + "=" + pid + ")").stream()
                .filter(b -> b.getBundleId() != Constants.SYSTEM_BUNDLE_ID).toList();
        // services carry service.pid once configured: the builder configures every HOME_PIDS component before start
        update(pid, all);
        String filter = "(" + GENERATION + "=" + generation + ")";
        awaitService(filter);
        awaitUntil("the users of " + pid + " " + consumers + " bound its new service", () -> {
            List<Bundle> using = usingBundles(filter);
            return consumers.stream().allMatch(b -> b.getState() != Bundle.ACTIVE || using.contains(b));
        });
    }

    /**
     * Creates or replaces the factory configuration {@code name} of {@code factoryPid} (e.g. a warm pool of
     * io.msb.runtime.pool), as the Web Console or a Karaf {@code .cfg} file does; SCR then activates a component for
     * it. Returns once ConfigAdmin took it; what the component does with it is the caller's to wait for.
     */
    public void configureFactory(String factoryPid, String name, Map<String, ?> properties) {
        withConfiguration("getFactoryConfiguration", new Object[] {factoryPid, name, "?"}, "update",
                new Hashtable<>(properties));
    }

    /** Deletes the factory configuration {@code name} of {@code factoryPid}; its component deactivates. */
    public void deleteFactory(String factoryPid, String name) {
        withConfiguration("getFactoryConfiguration", new Object[] {factoryPid, name, "?"}, "delete", null);
    }

    /** Stops and starts a bundle: what a restart of the server does to that part of the platform. */
    public void restart(String symbolicName) {
        Bundle bundle = bundle(symbolicName);
        try {
            bundle.stop();
            bundle.start();
        } catch (BundleException e) {
            throw new IllegalStateException("cannot restart " + symbolicName + ": " + e.getMessage(), e);
        }
    }

    public Bundle bundle(String symbolicName) {
        return Stream.of(context().getBundles()).filter(b -> symbolicName.equals(b.getSymbolicName())).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(symbolicName + " is not installed"));
    }

    /** Stops the framework (every component deactivates, as when the server stops) and removes its storage. */
    @Override
    public void close() {
        try {
            framework.stop();
            framework.waitForStop(WAIT_MILLIS);
        } catch (BundleException e) {
            System.err.println("EmbeddedMsb: stopping the framework failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            deleteTree(storage);
        }
    }

    private ServiceReference<?> awaitService(String filter) {
        awaitUntil("a service with " + filter, () -> references(filter).length > 0);
        return references(filter)[0];
    }

    /** The bundles using any service that matches {@code filter}. */
    private List<Bundle> usingBundles(String filter) {
        return Stream.of(references(filter)).map(ServiceReference::getUsingBundles)
                .filter(Objects::nonNull).flatMap(Stream::of).distinct().toList();
    }

    private ServiceReference<?>[] references(String filter) {
        try {
            ServiceReference<?>[] found = context().getAllServiceReferences(null, filter);
            return found == null ? new ServiceReference<?>[0] : found;
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private void awaitUntil(String what, BooleanSupplier condition) {
        for (long waited = 0; waited < WAIT_MILLIS; waited += 20) {
            if (condition.getAsBoolean()) {
                return;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("gave up waiting for " + what + "; bundles not active: " + notActive());
    }

    /**
     * Sets a configuration through ConfigAdmin. The framework's ConfigAdmin classes are its own, not the caller's,
     * so its two methods are called by reflection on the interfaces the bundle exports.
     */
    private void update(String pid, Map<String, ?> properties) {
        withConfiguration("getConfiguration", new Object[] {pid, "?"}, "update", new Hashtable<>(properties));
    }

    /**
     * Gets a configuration from ConfigAdmin with {@code get} (its string arguments {@code args}), then calls
     * {@code action} on it: {@code update(Dictionary)} with {@code properties}, or {@code delete()} when null.
     */
    private void withConfiguration(String get, Object[] args, String action, Dictionary<String, ?> properties) {
        BundleContext context = context();
        String adminClass = "org.osgi.service.cm.ConfigurationAdmin";
        // registered asynchronously, and with classes the system bundle does not see: all references, not the one
        ServiceReference<?> ref = awaitService("(" + Constants.OBJECTCLASS + "=" + adminClass + ")");
        Object admin = context.getService(ref);
        try {
            Bundle cm = ref.getBundle();
            Class<?>[] types = new Class<?>[args.length];
            java.util.Arrays.fill(types, String.class);
            Object configuration = cm.loadClass(adminClass).getMethod(get, types).invoke(admin, args);
            Class<?> configurationClass = cm.loadClass("org.osgi.service.cm.Configuration");
            if (properties == null) {
                configurationClass.getMethod(action).invoke(configuration);
            } else {
                configurationClass.getMethod(action, Dictionary.class).invoke(configuration, properties);
            }
        } catch (ClassNotFoundException | NoSuchMethodException | IllegalAccessException e) {
            throw new IllegalStateException("cannot use ConfigAdmin: " + e, e);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("cannot configure " + java.util.Arrays.toString(args) + ": "
                    + e.getCause(), e.getCause());
        } finally {
            context.ungetService(ref);
        }
    }

    private String notActive() {
        return Stream.of(context().getBundles()).filter(b -> b.getState() != Bundle.ACTIVE)
                .filter(b -> b.getHeaders().get(Constants.FRAGMENT_HOST) == null)
                .map(b -> b.getSymbolicName() + "(state " + b.getState() + ")").toList().toString();
    }

    private static Bundle install(BundleContext context, Path location) throws BundleException {
        String url = Files.isDirectory(location) ? "reference:" + location.toUri() : location.toUri().toString();
        return context.installBundle(url);
    }

    private static Path require(Map<String, Path> onClassPath, String name) {
        Path location = onClassPath.get(name);
        if (location == null) {
            throw new IllegalStateException(name + " is not on the class path (add it as a dependency); bundles there: "
                    + onClassPath.keySet());
        }
        return location;
    }

    /**
     * Every bundle on the class path by symbolic name (the highest version of each: a test class path may carry an
     * old one too), jars and class directories alike. The class loader's manifests, not {@code java.class.path}:
     * under exec:java that is someone else's.
     */
    private static Map<String, Path> bundlesOnClassPath() {
        Map<String, Path> found = new LinkedHashMap<>();
        Map<String, Version> versions = new HashMap<>();
        try {
            Enumeration<URL> manifests = EmbeddedMsb.class.getClassLoader().getResources(JarFile.MANIFEST_NAME);
            while (manifests.hasMoreElements()) {
                URL url = manifests.nextElement();
                Optional<Path> location = location(url);
                if (location.isEmpty()) {
                    continue;
                }
                try (InputStream in = url.openStream()) {
                    Attributes main = new Manifest(in).getMainAttributes();
                    String bsn = main.getValue(Constants.BUNDLE_SYMBOLICNAME);
                    if (bsn != null) {
                        Version version = Version.parseVersion(main.getValue(Constants.BUNDLE_VERSION));
                        String name = bsn.split(";")[0].trim();
                        if (!versions.containsKey(name) || version.compareTo(versions.get(name)) > 0) {
                            versions.put(name, version);
                            found.put(name, location.get());
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the class path's manifests", e);
        }
        return found;
    }

    /** The jar or class directory a manifest URL comes from. */
    private static Optional<Path> location(URL manifest) {
        String url = manifest.toString();
        String root = url.substring(0, url.length() - JarFile.MANIFEST_NAME.length());
        if (root.startsWith("jar:file:") && root.endsWith("!/")) {
            root = root.substring("jar:".length(), root.length() - 2);
        } else if (!root.startsWith("file:")) {
            return Optional.empty();
        }
        return Optional.of(Path.of(URI.create(root)));
    }

    /**
     * The packages of the caller's io.msb.api, exported by the system bundle as that bundle would export them; and
     * SLF4J's API when it is there (dnsjava logs through it), so bundles log through the class path's binding.
     */
    private static String apiExports() {
        String exports = exportsOf("io.msb.api.SandboxService")
                .orElseThrow(() -> new IllegalStateException("io.msb.api is not on the class path"));
        return exportsOf("org.slf4j.Logger").map(slf4j -> exports + "," + slf4j).orElse(exports);
    }

    /** The Export-Package of the class path entry holding {@code className}; empty when the class is not there. */
    private static Optional<String> exportsOf(String className) {
        Class<?> api;
        try {
            api = Class.forName(className, false, EmbeddedMsb.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return Optional.empty();
        }
        Path location;
        try {
            location = Path.of(api.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        return Optional.of(manifest(location).map(m -> m.getMainAttributes().getValue(Constants.EXPORT_PACKAGE))
                .orElseThrow(() -> new IllegalStateException("no Export-Package in the manifest of " + location)));
    }

    private static Optional<Manifest> manifest(Path entry) {
        try {
            if (Files.isDirectory(entry)) {
                Path file = entry.resolve("META-INF/MANIFEST.MF");
                if (!Files.isRegularFile(file)) {
                    return Optional.empty();
                }
                try (InputStream in = Files.newInputStream(file)) {
                    return Optional.of(new Manifest(in));
                }
            }
            if (!entry.toString().endsWith(".jar") || !Files.isRegularFile(entry)) {
                return Optional.empty();
            }
            try (JarFile jar = new JarFile(entry.toFile())) {
                return Optional.ofNullable(jar.getManifest());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the manifest of " + entry, e);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("EmbeddedMsb: cannot remove " + root + ": " + e);
        }
    }
}
