package io.msb.shell.internal;

import io.msb.api.InvalidConfigException;
import io.msb.api.volume.VolumeInfo;
import io.msb.api.volume.VolumeKind;
import io.msb.api.volume.VolumeService;
import io.msb.api.volume.VolumeSpec;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Function;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code msb:volume-create|volume-ls|volume-inspect|volume-rm|volume-prune}; present only while a VolumeService is.
 * Gogo maps a function name to a method of the same name, which {@code volume-create} cannot be, so each command is a
 * Gogo {@link Function} registered with its name.
 */
@Component(service = {}, immediate = true)
public final class VolumeCommands {
    static final String USAGE_CREATE = "volume-create [--kind dir|disk] [--quota MIB] [--capacity MIB] "
            + "[--label KEY=VALUE]… NAME";

    private final VolumeService volumes;
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();

    @Activate
    public VolumeCommands(@Reference VolumeService volumes, BundleContext context) {
        this.volumes = volumes;
        register(context, "volume-create", (s, args) -> create(words(args)));
        register(context, "volume-ls", (s, args) -> ls(words(args)));
        register(context, "volume-inspect", (s, args) -> inspect(words(args)));
        register(context, "volume-rm", (s, args) -> rm(words(args)));
        register(context, "volume-prune", (s, args) -> prune(words(args)));
    }

    VolumeCommands(VolumeService volumes) {
        this.volumes = volumes;
    }

    private void register(BundleContext context, String name, Function function) {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("osgi.command.scope", "msb");
        props.put("osgi.command.function", name);
        registrations.add(context.registerService(Function.class, function, props));
    }

    @Deactivate
    void deactivate() {
        for (ServiceRegistration<?> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException gone) {
                // the framework withdrew it with the bundle
            }
        }
    }

    private static List<String> words(List<Object> args) {
        return args.stream().map(String::valueOf).toList();
    }

    String create(List<String> words) {
        VolumeKind kind = VolumeKind.DIRECTORY;
        Integer quota = null;
        Integer capacity = null;
        Map<String, String> labels = new LinkedHashMap<>();
        String name = null;
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            switch (w) {
                case "--kind" -> kind = VolumeKind.ofWireName(value(words, ++i, w));
                case "--quota" -> quota = number(value(words, ++i, w), "--quota");
                case "--capacity" -> capacity = number(value(words, ++i, w), "--capacity");
                case "--label", "-l" -> labels.putAll(KeyValues.parse("labels", value(words, ++i, w)));
                default -> {
                    if (w.startsWith("-") || name != null) {
                        throw usage(USAGE_CREATE);
                    }
                    name = w;
                }
            }
        }
        if (name == null) {
            throw usage(USAGE_CREATE);
        }
        return volumes.create(new VolumeSpec(name, kind, quota, capacity, labels)).name();
    }

    String ls(List<String> words) {
        boolean quiet = words.equals(List.of("-q"));
        if (!quiet && !words.isEmpty()) {
            throw usage("volume-ls [-q]");
        }
        List<VolumeInfo> all = volumes.list();
        if (quiet) {
            return String.join(System.lineSeparator(), all.stream().map(VolumeInfo::name).toList());
        }
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("NAME", "KIND", "USED", "LIMIT", "IN USE BY", "CREATED"));
        for (VolumeInfo v : all) {
            Integer limit = v.kind() == VolumeKind.DIRECTORY ? v.spec().quotaMib() : v.spec().capacityMib();
            rows.add(List.of(v.name(), v.kind().wireName(), Bytes.human(v.usedBytes()),
                    limit == null ? "-" : Bytes.human((long) limit << 20),
                    v.usedBy().isEmpty() ? "-" : String.join(",", v.usedBy()), v.createdAt().toString()));
        }
        return Columns.render(rows);
    }

    String inspect(List<String> words) {
        if (words.size() != 1) {
            throw usage("volume-inspect NAME");
        }
        VolumeInfo v = volumes.get(words.get(0))
                .orElseThrow(() -> new io.msb.api.NotFoundException("volume", words.get(0)));
        VolumeSpec s = v.spec();
        return String.join(System.lineSeparator(), "Name:       " + v.name(), "Id:         " + v.id(),
                "Kind:       " + s.kind().wireName(), "Path:       " + v.path(),
                "Quota:      " + (s.quotaMib() == null ? "-" : s.quotaMib() + " MiB"),
                "Capacity:   " + (s.capacityMib() == null ? "-" : s.capacityMib() + " MiB"),
                "Used:       " + Bytes.human(v.usedBytes()), "Labels:     " + s.labels(),
                "In use by:  " + (v.usedBy().isEmpty() ? "-" : String.join(", ", v.usedBy())),
                "Created:    " + v.createdAt(), "Updated:    " + v.updatedAt());
    }

    String rm(List<String> words) {
        if (words.isEmpty()) {
            throw usage("volume-rm NAME…");
        }
        for (String name : words) {
            volumes.remove(name);
        }
        return String.join(System.lineSeparator(), words);
    }

    String prune(List<String> words) {
        if (!words.isEmpty() && !words.equals(List.of("-f"))) {
            throw usage("volume-prune [-f]");
        }
        return String.join(System.lineSeparator(), volumes.prune());
    }

    private static String value(List<String> words, int i, String option) {
        if (i >= words.size()) {
            throw new InvalidConfigException(option, option + " needs a value");
        }
        return words.get(i);
    }

    private static Integer number(String text, String option) {
        try {
            return Integer.valueOf(text);
        } catch (NumberFormatException e) {
            throw new InvalidConfigException(option, option + " must be a number of MiB, got " + text);
        }
    }

    private static IllegalArgumentException usage(String usage) {
        return new IllegalArgumentException("usage: msb:" + usage);
    }
}
