package io.msb.shell.internal;

import static io.msb.shell.internal.GogoFunctions.usage;
import static io.msb.shell.internal.GogoFunctions.value;
import static io.msb.shell.internal.GogoFunctions.words;

import io.msb.api.InvalidConfigException;
import io.msb.api.NotFoundException;
import io.msb.api.SandboxInfo;
import io.msb.api.snapshot.SnapshotInfo;
import io.msb.api.snapshot.SnapshotService;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code msb:snapshot-create|snapshot-ls|snapshot-inspect|snapshot-verify|snapshot-rm|snapshot-export|snapshot-import}
 * (decision 1237), {@code snapshot-create --memory} and {@code msb:branch} (decisions 1250-1253); present only while
 * a SnapshotService is. Each is a function registered by name ({@link GogoFunctions}).
 */
@Component(service = {}, immediate = true)
public final class SnapshotCommands {
    static final String USAGE_CREATE = "snapshot-create [--force] [--memory] [--label KEY=VALUE]… SANDBOX NAME";
    static final String USAGE_IMPORT = "snapshot-import [--force] FILE [NAME]";
    static final String USAGE_BRANCH = "branch SNAPSHOT (COUNT [--name-prefix PREFIX] | --name NAME…)";
    /** The most sandboxes one branch makes, as on HTTP (decision 1251). */
    static final int MAX_BRANCH = 64;

    private final SnapshotService snapshots;
    private final GogoFunctions functions = new GogoFunctions();

    @Activate
    public SnapshotCommands(@Reference SnapshotService snapshots, BundleContext context) {
        this.snapshots = snapshots;
        functions.register(context, "snapshot-create", (s, args) -> create(words(args)));
        functions.register(context, "snapshot-ls", (s, args) -> ls(words(args)));
        functions.register(context, "snapshot-inspect", (s, args) -> inspect(words(args)));
        functions.register(context, "snapshot-verify", (s, args) -> verify(words(args)));
        functions.register(context, "snapshot-rm", (s, args) -> rm(words(args)));
        functions.register(context, "snapshot-export", (s, args) -> export(words(args)));
        functions.register(context, "snapshot-import", (s, args) -> importFrom(words(args)));
        functions.register(context, "branch", (s, args) -> branch(words(args)));
    }

    SnapshotCommands(SnapshotService snapshots) {
        this.snapshots = snapshots;
    }

    @Deactivate
    void deactivate() {
        functions.unregisterAll();
    }

    String create(List<String> words) {
        boolean force = false;
        boolean memory = false;
        Map<String, String> labels = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            switch (w) {
                case "--force", "-f" -> force = true;
                case "--memory" -> memory = true;
                case "--label", "-l" -> labels.putAll(KeyValues.parse("labels", value(words, ++i, w)));
                default -> {
                    if (w.startsWith("-")) {
                        throw usage(USAGE_CREATE);
                    }
                    names.add(w);
                }
            }
        }
        if (names.size() != 2) {
            throw usage(USAGE_CREATE);
        }
        return (memory ? snapshots.createResumable(names.get(1), names.get(0), labels, force)
                : snapshots.create(names.get(1), names.get(0), labels, force)).name();
    }

    /** Sandboxes from a resumable snapshot, named as given or {@code PREFIX-1…-COUNT}; prints their names. */
    String branch(List<String> words) {
        List<String> names = new ArrayList<>();
        String prefix = null;
        List<String> positional = new ArrayList<>();
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            switch (w) {
                case "--name" -> names.add(value(words, ++i, w));
                case "--name-prefix" -> prefix = value(words, ++i, w);
                default -> {
                    if (w.startsWith("-")) {
                        throw usage(USAGE_BRANCH);
                    }
                    positional.add(w);
                }
            }
        }
        boolean byCount = positional.size() == 2;
        if (positional.isEmpty() || positional.size() > 2 || byCount && !names.isEmpty()
                || !byCount && names.isEmpty()) {
            throw usage(USAGE_BRANCH); // the snapshot, then a count or names: one of the two
        }
        String snapshot = positional.get(0);
        if (names.isEmpty()) {
            if (prefix != null && prefix.isEmpty()) {
                throw new InvalidConfigException("--name-prefix", "--name-prefix must not be empty");
            }
            String p = prefix == null ? snapshot : prefix;
            names = IntStream.rangeClosed(1, count(positional.get(1))).mapToObj(i -> p + "-" + i).toList();
        } else if (prefix != null) {
            throw new InvalidConfigException("--name-prefix", "--name-prefix goes with COUNT, not --name");
        }
        return String.join(System.lineSeparator(), snapshots.branch(snapshot, names).stream()
                .map(SandboxInfo::name).toList());
    }

    private static int count(String text) {
        int n;
        try {
            n = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            n = 0;
        }
        if (n < 1 || n > MAX_BRANCH) {
            throw new InvalidConfigException("COUNT", "COUNT must be a whole number in [1, " + MAX_BRANCH + "], got "
                    + text);
        }
        return n;
    }

    String ls(List<String> words) {
        boolean quiet = words.equals(List.of("-q"));
        if (!quiet && !words.isEmpty()) {
            throw usage("snapshot-ls [-q]");
        }
        List<SnapshotInfo> all = snapshots.list();
        if (quiet) {
            return String.join(System.lineSeparator(), all.stream().map(SnapshotInfo::name).toList());
        }
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("NAME", "SOURCE", "IMAGE", "SIZE", "RESUMABLE", "CREATED"));
        for (SnapshotInfo s : all) {
            rows.add(List.of(s.name(), s.sourceSandbox() == null ? "-" : s.sourceSandbox(), s.imageRef(),
                    Bytes.human(s.sizeBytes()), yesNo(s.resumable()), s.createdAt().toString()));
        }
        return Columns.render(rows);
    }

    String inspect(List<String> words) {
        if (words.size() != 1) {
            throw usage("snapshot-inspect NAME");
        }
        SnapshotInfo s = snapshots.get(words.get(0)).orElseThrow(() -> new NotFoundException("snapshot", words.get(0)));
        return String.join(System.lineSeparator(), "Name:         " + s.name(), "Digest:       " + s.digest(),
                "Source:       " + (s.sourceSandbox() == null ? "-" : s.sourceSandbox()),
                "Image:        " + s.imageRef(),
                "Image digest: " + (s.imageManifestDigest() == null ? "-" : s.imageManifestDigest()),
                "Size:         " + Bytes.human(s.sizeBytes()), "Disk digest:  " + s.upperDigest(),
                "Resumable:    " + yesNo(s.resumable()),
                "Labels:       " + s.labels(), "Path:         " + s.path(), "Created:      " + s.createdAt());
    }

    private static String yesNo(boolean b) {
        return b ? "yes" : "no";
    }

    String verify(List<String> words) {
        if (words.isEmpty()) {
            throw usage("snapshot-verify NAME…");
        }
        List<String> out = new ArrayList<>();
        for (String name : words) {
            snapshots.verify(name);
            out.add(name + ": ok");
        }
        return String.join(System.lineSeparator(), out);
    }

    String rm(List<String> words) {
        if (words.isEmpty()) {
            throw usage("snapshot-rm NAME…");
        }
        for (String name : words) {
            snapshots.remove(name);
        }
        return String.join(System.lineSeparator(), words);
    }

    String export(List<String> words) {
        if (words.size() != 2) {
            throw usage("snapshot-export NAME FILE");
        }
        snapshots.exportTo(words.get(0), Path.of(words.get(1)));
        return words.get(1);
    }

    String importFrom(List<String> words) {
        boolean force = !words.isEmpty() && words.get(0).equals("--force");
        List<String> rest = force ? words.subList(1, words.size()) : words;
        if (rest.isEmpty() || rest.size() > 2 || rest.get(0).startsWith("-")) {
            throw usage(USAGE_IMPORT);
        }
        return snapshots.importFrom(Path.of(rest.get(0)), rest.size() == 2 ? rest.get(1) : null, force).name();
    }
}
