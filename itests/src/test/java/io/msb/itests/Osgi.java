package io.msb.itests;

import static org.junit.Assert.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Waiting for the dynamic parts of the framework. Waits are bounded so that a broken wiring fails with a
 * message saying what was missing instead of hanging; no test asserts how long anything took.
 */
final class Osgi {
    /** Generous: SCR, H2 and the first class loading all run on a slow shared CI machine. */
    static final Duration WAIT = Duration.ofSeconds(30);

    private Osgi() {
    }

    /**
     * The service of that type (and filter, if not null), waiting for it to appear. It polls the registry
     * rather than tracking events, so it does not depend on which events reach a waiter (a ServiceTracker
     * opened during a reconfiguration missed the runtime's later property update). The test bundle keeps
     * using the service until it stops, as a real client would: releasing it at once would let SCR dispose
     * a delayed component while the test still calls it.
     */
    static <T> T service(BundleContext context, Class<T> type, String filter) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try {
                for (ServiceReference<T> ref : context.getServiceReferences(type, filter)) {
                    T service = context.getService(ref);
                    if (service != null) {
                        return service;
                    }
                }
            } catch (InvalidSyntaxException e) {
                throw new IllegalArgumentException("bad filter " + filter, e);
            }
            if (System.nanoTime() > deadline) {
                fail("no usable " + type.getSimpleName() + " service matching " + filter + " appeared; registered: "
                        + describe(context, type));
            }
            sleep();
        }
    }

    static <T> T service(BundleContext context, Class<T> type) {
        return service(context, type, null);
    }

    /** Every usable service of the type, once at least one is registered. */
    static <T> List<T> services(BundleContext context, Class<T> type) {
        service(context, type, null);
        try {
            return context.getServiceReferences(type, null).stream().map(context::getService)
                    .filter(Objects::nonNull).toList();
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits until {@code condition} holds; failures count as "not yet" and the last one is reported. */
    static void eventually(String what, Callable<Boolean> condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        Throwable last = null;
        while (true) {
            try {
                if (Boolean.TRUE.equals(condition.call())) {
                    return;
                }
            } catch (Exception | AssertionError e) {
                last = e;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("still not true after waiting: " + what, last);
            }
            sleep();
        }
    }

    /** Waits until no service of the type is registered. */
    static void gone(BundleContext context, Class<?> type) {
        eventually(type.getSimpleName() + " unregistered", () -> context.getServiceReference(type) == null);
    }

    /** Properties of every registered service of the type, for failure messages. */
    static String describe(BundleContext context, Class<?> type) {
        try {
            ServiceReference<?>[] refs = context.getAllServiceReferences(type.getName(), null);
            if (refs == null) {
                return "none";
            }
            List<String> out = new ArrayList<>();
            for (ServiceReference<?> ref : refs) {
                out.add(properties(ref).toString());
            }
            return out.toString();
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, Object> properties(ServiceReference<?> ref) {
        Map<String, Object> props = new java.util.TreeMap<>();
        for (String key : ref.getPropertyKeys()) {
            Object value = ref.getProperty(key);
            props.put(key, value instanceof Object[] array ? Arrays.asList(array) : value);
        }
        return props;
    }

    static Bundle bundle(BundleContext context, String symbolicName) {
        for (Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("bundle " + symbolicName + " is not installed");
    }

    /** Why a bundle is not active: its state, and the resolver's or activator's complaint if it has one. */
    static String whyNotActive(Bundle b) {
        String state = switch (b.getState()) {
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.ACTIVE -> "ACTIVE";
            default -> "UNINSTALLED";
        };
        try {
            b.start();
            return state;
        } catch (BundleException e) {
            return state + ": " + e.getMessage();
        }
    }

    /**
     * Merges {@code changes} into the configuration of {@code pid}. The "?" location keeps it bound to
     * whichever bundle consumes it, not to the test probe.
     */
    static void configure(ConfigurationAdmin admin, String pid, Map<String, Object> changes) {
        try {
            Configuration config = admin.getConfiguration(pid, "?");
            Dictionary<String, Object> props = config.getProperties();
            Hashtable<String, Object> merged = new Hashtable<>();
            if (props != null) {
                for (var keys = props.keys(); keys.hasMoreElements();) {
                    String key = keys.nextElement();
                    merged.put(key, props.get(key));
                }
            }
            merged.putAll(changes);
            config.update(merged);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot update configuration " + pid, e);
        }
    }

    /** An LDAP filter value with its special characters escaped (paths may contain them). */
    static String escape(String value) {
        StringBuilder sb = new StringBuilder();
        for (char c : value.toCharArray()) {
            if (c == '\\' || c == '*' || c == '(' || c == ')') {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.toString();
    }

    private static void sleep() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
