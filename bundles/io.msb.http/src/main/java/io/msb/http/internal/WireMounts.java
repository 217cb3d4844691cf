package io.msb.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.msb.api.Mount;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The create body's {@code mounts} as the SDK sends them (facts §2.3: snake_case tags {@code bind}, {@code named},
 * {@code tmpfs}, {@code disk_image} with {@code options {readonly, noexec, nosuid, nodev}}), and the response's
 * PascalCase form ({@code Bind}, {@code Named}, {@code Tmpfs}, {@code DiskImage}). Only the wire is checked here:
 * paths, existence and limits are the runtime's (decision 1200).
 */
final class WireMounts {
    private static final Map<String, Set<String>> FIELDS = Map.of(
            "bind", Set.of("type", "host", "guest", "options", "stat_virtualization", "host_permissions", "quota_mib"),
            "named", Set.of("type", "name", "guest", "options", "stat_virtualization", "host_permissions"),
            "tmpfs", Set.of("type", "guest", "size_mib", "options"),
            "disk_image", Set.of("type", "host", "guest", "format", "fstype", "options"));
    private static final Set<String> OPTIONS = Set.of("readonly", "noexec", "nosuid", "nodev");

    private WireMounts() {
    }

    static List<Mount> parse(List<JsonNode> mounts) {
        if (mounts == null) {
            return List.of();
        }
        List<Mount> out = new java.util.ArrayList<>();
        for (int i = 0; i < mounts.size(); i++) {
            out.add(parse(mounts.get(i), "mounts[" + i + "]"));
        }
        return out;
    }

    private static Mount parse(JsonNode m, String at) {
        if (m == null || !m.isObject()) {
            throw ApiException.invalid(at, "must be an object {type, guest, ...}");
        }
        String type = text(m, at, "type", true);
        Set<String> known = FIELDS.get(type);
        if (known == null) {
            throw ApiException.invalid(at + ".type", "must be bind, named, tmpfs or disk_image, not " + type);
        }
        for (Iterator<String> it = m.fieldNames(); it.hasNext();) {
            String f = it.next();
            if (!known.contains(f)) {
                throw ApiException.invalid(at + "." + f, "is not a field of a " + type + " mount");
            }
        }
        String guest = text(m, at, "guest", true);
        only(m, at, "stat_virtualization", "strict", "stat virtualization other than strict is not supported");
        only(m, at, "host_permissions", "private", "host permissions other than private are not supported");
        if (m.hasNonNull("quota_mib")) {
            throw ApiException.invalid(at + ".quota_mib", "bind mount quotas are not supported; use null");
        }
        Mount mount = switch (type) {
            case "bind" -> Mount.bind(text(m, at, "host", true), guest);
            case "named" -> Mount.volume(text(m, at, "name", true), guest);
            case "tmpfs" -> Mount.tmpfs(guest, sizeMib(m.get("size_mib"), at + ".size_mib"));
            default -> Mount.diskImage(text(m, at, "host", true), guest, format(m, at), text(m, at, "fstype", false));
        };
        JsonNode o = m.get("options");
        if (o == null || o.isNull()) {
            return mount;
        }
        if (!o.isObject()) {
            throw ApiException.invalid(at + ".options", "must be an object {readonly, noexec, nosuid, nodev}");
        }
        for (Iterator<String> it = o.fieldNames(); it.hasNext();) {
            String f = it.next();
            if (!OPTIONS.contains(f)) {
                throw ApiException.invalid(at + ".options." + f, "is not a mount option (readonly, noexec, nosuid, nodev)");
            }
        }
        return mount.withOptions(flag(o, at, "readonly"), flag(o, at, "noexec"), flag(o, at, "nosuid"),
                flag(o, at, "nodev"));
    }

    /** A response mount, tagged PascalCase as the cloud's responses and microsandbox's stored configs are. */
    static Map<String, Object> response(Mount m) {
        Map<String, Object> out = new LinkedHashMap<>();
        switch (m.kind()) {
            case BIND -> {
                out.put("type", "Bind");
                out.put("host", m.source());
            }
            case VOLUME -> {
                out.put("type", "Named");
                out.put("name", m.source());
            }
            case TMPFS -> out.put("type", "Tmpfs");
            case DISK_IMAGE -> {
                out.put("type", "DiskImage");
                out.put("host", m.source());
            }
            default -> throw new IllegalStateException("mount kind " + m.kind());
        }
        out.put("guest", m.guestPath());
        if (m.kind() == Mount.Kind.TMPFS) {
            out.put("size_mib", m.sizeMib() == 0 ? null : m.sizeMib());
        } else if (m.kind() == Mount.Kind.DISK_IMAGE) {
            out.put("format", "qcow2".equals(m.format()) ? "Qcow2" : "Raw");
            out.put("fstype", m.fstype());
        }
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("readonly", m.readOnly());
        options.put("noexec", m.noexec());
        options.put("nosuid", m.nosuid());
        options.put("nodev", m.nodev());
        out.put("options", options);
        return out;
    }

    private static String text(JsonNode m, String at, String field, boolean required) {
        JsonNode v = m.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw ApiException.invalid(at + "." + field, "is required");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw ApiException.invalid(at + "." + field, "must be a string");
        }
        return v.asText();
    }

    private static void only(JsonNode m, String at, String field, String value, String rule) {
        String v = text(m, at, field, false);
        if (v != null && !v.equals(value)) {
            throw ApiException.invalid(at + "." + field, rule + " (got " + v + ")");
        }
    }

    private static String format(JsonNode m, String at) {
        String f = text(m, at, "format", false);
        if (f == null || f.equals("raw") || f.equals("qcow2")) {
            return f;
        }
        throw ApiException.invalid(at + ".format", f.equals("vmdk") ? "vmdk images are not supported; use raw or qcow2"
                : "must be raw, qcow2 or vmdk, not " + f);
    }

    private static int sizeMib(JsonNode v, String at) {
        if (v == null || v.isNull()) {
            return 0;
        }
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 1) {
            throw ApiException.invalid(at, "must be a positive whole number of MiB or null");
        }
        return v.asInt();
    }

    private static boolean flag(JsonNode o, String at, String field) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw ApiException.invalid(at + ".options." + field, "must be true or false");
        }
        return v.asBoolean();
    }
}
