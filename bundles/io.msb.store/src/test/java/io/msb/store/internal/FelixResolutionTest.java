package io.msb.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import org.apache.felix.framework.Felix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The bundle resolves and its component activates in a bare Felix holding only H2, the JDBC service API,
 * SCR and Metatype (with the OSGi APIs they import), ConfigAdmin and io.msb.api. The store bundle is installed
 * from target/classes, the other bundles are copied to target/felix-bundles by the build. Bundle classes
 * live in other class loaders than this test's, hence the reflection.
 */
class FelixResolutionTest {
    private static final Path BUNDLES = Path.of("target/felix-bundles");
    private static final List<String> PLATFORM = List.of("org.osgi.util.function", "org.osgi.util.promise",
            "org.osgi.service.component", "org.osgi.service.jdbc", "h2", "org.apache.felix.configadmin",
            "org.osgi.service.log", "org.apache.felix.metatype", "org.apache.felix.scr", "io.msb.api");

    @TempDir
    Path tmp;

    @Test
    void resolvesActivatesAndServesInPlainFelix() throws Exception {
        assumeTrue(Files.isDirectory(BUNDLES), "target/felix-bundles is missing: run through Maven");
        assumeTrue(Files.exists(Path.of("target/classes/META-INF/MANIFEST.MF")),
                "target/classes has no bnd manifest: run through Maven");
        Map<String, Object> props = Map.of(
                Constants.FRAMEWORK_STORAGE, tmp.resolve("felix-cache").toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        Felix felix = new Felix(props);
        felix.start();
        try {
            BundleContext ctx = felix.getBundleContext();
            List<Bundle> installed = new ArrayList<>();
            for (String name : PLATFORM) {
                installed.add(ctx.installBundle(BUNDLES.resolve(name + ".jar").toUri().toString()));
            }
            Bundle store = ctx.installBundle("reference:" + Path.of("target/classes").toUri());
            installed.add(store);
            for (Bundle b : installed) {
                b.start();
            }
            assertEquals(Bundle.ACTIVE, store.getState(), "io.msb.store is not active");

            Path home = tmp.resolve("home");
            configure(ctx, installed.get(PLATFORM.indexOf("org.apache.felix.configadmin")), "io.msb.store", Map.of("home", home.toString(), "maxConnections", 2));

            Class<?> storeType = store.loadClass("io.msb.api.store.SandboxStore");
            // the service carries its configuration, so this waits for the configured one; the component is
            // delayed, so nothing activated it on the default home before
            withService(ctx, "(&(objectClass=" + storeType.getName() + ")(home=" + home + "))", 60_000,
                    "no SandboxStore service within 60 s", service -> {
                Class<?> selector = store.loadClass("io.msb.api.LabelSelector");
                Method list = storeType.getMethod("listSandboxes", selector);
                assertEquals(List.of(), list.invoke(service, selector.getField("ALL").get(null)));
                Method find = storeType.getMethod("findSandbox", String.class);
                assertEquals(java.util.Optional.empty(), find.invoke(service, "none"));
                assertTrue(Files.exists(home.resolve("db/msb.mv.db")), "database not under the configured home");

                // the image store is a service of its own on the same database
                Class<?> imageType = store.loadClass("io.msb.api.store.ImageStore");
                withService(ctx, "(&(objectClass=" + imageType.getName() + ")(home=" + home + "))", 60_000,
                        "no ImageStore service within 60 s", imageStore -> {
                    assertEquals(List.of(), imageType.getMethod("listImages").invoke(imageStore));
                    assertEquals(1, ctx.getAllServiceReferences(storeType.getName(), null).length);
                });
            });
        } finally {
            felix.stop();
            felix.waitForStop(30_000);
        }
    }

    /** Sets a configuration through the framework's ConfigurationAdmin, loaded from the bundles. */
    private static void configure(BundleContext ctx, Bundle configAdmin, String pid, Map<String, Object> values)
            throws Exception {
        Class<?> cmType = configAdmin.loadClass("org.osgi.service.cm.ConfigurationAdmin");
        withService(ctx, "(objectClass=" + cmType.getName() + ")", 30_000, "no ConfigurationAdmin", admin -> {
            Object config = cmType.getMethod("getConfiguration", String.class, String.class)
                    .invoke(admin, pid, "?");
            Dictionary<String, Object> dict = new Hashtable<>(values);
            config.getClass().getMethod("update", Dictionary.class).invoke(config, dict);
        });
    }

    private interface ServiceUse {
        void accept(Object service) throws Exception;
    }

    /** Waits for a service matching filter and hands it to use while it is tracked (of any class loader). */
    private static void withService(BundleContext ctx, String filter, long timeoutMillis, String missing,
            ServiceUse use) throws Exception {
        ServiceTracker<Object, Object> tracker = new ServiceTracker<>(ctx, ctx.createFilter(filter), null);
        tracker.open(true);
        try {
            Object service = tracker.waitForService(timeoutMillis);
            assertNotNull(service, missing);
            use.accept(service);
        } finally {
            tracker.close();
        }
    }
}
