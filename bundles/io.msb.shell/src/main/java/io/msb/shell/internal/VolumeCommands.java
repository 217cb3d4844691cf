package io.msb.shell.internal;

import static io.msb.shell.internal.GogoFunctions.usage;
import static io.msb.shell.internal.GogoFunctions.value;
import static io.msb.shell.internal.GogoFunctions.words;

import io.msb.api.InvalidConfigException;
import io.msb.api.volume.VolumeInfo;
import io.msb.api.volume.VolumeKind;
import io.msb.api.volume.VolumeService;
import io.msb.api.volume.VolumeSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code msb:volume-create|volume-ls|volume-inspect|volume-rm|volume-prune}; present only while a VolumeService is.
 * Each is a function registered by name ({@link GogoFunctions}).
 */
@Component(service = {}, immediate = true)
public final class VolumeCommands {
    static final String USAGE_CREATE = "volume-create [--kind dir|disk] [--quota MIB] [--capacity MIB] "
            + "[--label KEY=VALUE]… NAME";

    private final VolumeService volumes;
    private final GogoFunctions functions = new GogoFunctions();

    @Activate
    public VolumeCommands(@Reference VolumeService volumes, BundleContext context) {
        this.volumes = volumes;
        functions.register(context, "volume-create", (s, args) -> create(words(args)));
        functions.register(context, "volume-ls", (s, args) -> ls(words(args)));
        functions.register(context, "volume-inspect", (s, args) -> inspect(words(args)));
        functions.register(context, "volume-rm", (s, args) -> rm(words(args)));
        functions.register(context, "volume-prune", (s, args) -> prune(words(args)));
    }

    VolumeCommands(VolumeService volumes) {
        this.volumes = volumes;
    }

    @Deactivate
    void deactivate() {
        functions.unregisterAll();
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

    private static Integer number(String text, String option) {
        try {
            return Integer.valueOf(text);
        } catch (NumberFormatException e) {
            throw new InvalidConfigException(option, option + " must be a number of MiB, got " + text);
        }
    }
}
