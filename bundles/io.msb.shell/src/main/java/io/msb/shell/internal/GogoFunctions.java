package io.msb.shell.internal;

import io.msb.api.InvalidConfigException;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import org.apache.felix.service.command.Function;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * Commands whose names Gogo cannot map to methods ({@code volume-create}, {@code snapshot-ls}): each is a Gogo
 * {@link Function} registered with its name in scope {@code msb}, withdrawn together; and the word handling they share.
 */
final class GogoFunctions {
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();

    void register(BundleContext context, String name, Function function) {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("osgi.command.scope", "msb");
        props.put("osgi.command.function", name);
        registrations.add(context.registerService(Function.class, function, props));
    }

    void unregisterAll() {
        for (ServiceRegistration<?> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException gone) {
                // the framework withdrew it with the bundle
            }
        }
    }

    static List<String> words(List<Object> args) {
        return args.stream().map(String::valueOf).toList();
    }

    static String value(List<String> words, int i, String option) {
        if (i >= words.size()) {
            throw new InvalidConfigException(option, option + " needs a value");
        }
        return words.get(i);
    }

    static IllegalArgumentException usage(String usage) {
        return new IllegalArgumentException("usage: msb:" + usage);
    }
}
