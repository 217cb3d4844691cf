package io.msb.image.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.msb.api.MsbException;
import io.msb.api.image.ImageConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Parses and validates manifests, indexes and config blobs; everything here comes from a registry or archive. */
final class Manifests {
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
    static final String ACCEPT = String.join(", ", OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST);
    static final Set<String> LAYER_TYPES = Set.of(
            OCI_LAYER, OCI_LAYER + "+gzip", OCI_LAYER + "+zstd",
            "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
            "application/vnd.docker.image.rootfs.diff.tar.gzip", "application/vnd.docker.image.rootfs.diff.tar");
    static final int MAX_MANIFEST_BYTES = 4 << 20;
    static final int MAX_CONFIG_BYTES = 8 << 20;
    static final int MAX_LAYERS = 256;
    static final int MAX_INDEX_ENTRIES = 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    record Platform(String os, String architecture, String variant) {
        static Platform parse(String text) {
            String[] parts = text.split("/");
            if (parts.length < 2 || parts.length > 3 || parts[0].isBlank() || parts[1].isBlank()) {
                throw Invalid.of("platform", "must be os/arch[/variant], got '" + text + "'");
            }
            return new Platform(parts[0], parts[1], parts.length == 3 ? parts[2] : "");
        }

        @Override
        public String toString() {
            return os + "/" + architecture + (variant.isEmpty() ? "" : "/" + variant);
        }
    }

    record Descriptor(String mediaType, String digest, long size, Platform platform, Map<String, String> annotations) {
    }

    sealed interface Parsed permits ImageManifest, Index {
    }

    record ImageManifest(String mediaType, Descriptor config, List<Descriptor> layers) implements Parsed {
    }

    record Index(String mediaType, List<Descriptor> manifests) implements Parsed {
    }

    /** The config blob's parts msb uses. */
    record Config(ImageConfig runtime, List<String> diffIds, String os, String architecture) {
    }

    private Manifests() {
    }

    static ObjectMapper json() {
        return JSON;
    }

    static Parsed parse(byte[] body, String contentType) {
        JsonNode root = tree(body, "manifest");
        int schema = root.path("schemaVersion").asInt(-1);
        if (schema == 1) {
            throw new MsbException("Docker schema 1 manifests are not supported; push the image again with a current client");
        }
        if (schema != 2) {
            throw new MsbException("manifest schemaVersion must be 2, got " + root.path("schemaVersion"));
        }
        String mediaType = root.path("mediaType").asText("");
        if (mediaType.isEmpty() && contentType != null) {
            mediaType = contentType.split(";")[0].trim();
        }
        boolean isIndex = switch (mediaType) {
            case OCI_INDEX, DOCKER_LIST -> true;
            case OCI_MANIFEST, DOCKER_MANIFEST -> false;
            default -> {
                if (root.has("manifests")) {
                    mediaType = OCI_INDEX;
                    yield true;
                }
                if (root.has("layers") && root.has("config")) {
                    mediaType = OCI_MANIFEST;
                    yield false;
                }
                throw new MsbException("unsupported manifest media type '" + mediaType + "'");
            }
        };
        if (isIndex) {
            JsonNode list = root.path("manifests");
            if (!list.isArray() || list.size() > MAX_INDEX_ENTRIES) {
                throw new MsbException("index manifests must be an array of at most " + MAX_INDEX_ENTRIES);
            }
            List<Descriptor> entries = new ArrayList<>();
            for (JsonNode entry : list) {
                entries.add(descriptor(entry, "index entry"));
            }
            return new Index(mediaType, entries);
        }
        Descriptor config = descriptor(root.path("config"), "config");
        JsonNode layerList = root.path("layers");
        if (!layerList.isArray() || layerList.size() > MAX_LAYERS) {
            throw new MsbException("manifest layers must be an array of at most " + MAX_LAYERS);
        }
        List<Descriptor> layers = new ArrayList<>();
        for (JsonNode layer : layerList) {
            Descriptor d = descriptor(layer, "layer");
            if (!LAYER_TYPES.contains(d.mediaType())) {
                throw new MsbException("layer " + d.digest() + " has unsupported media type '" + d.mediaType() + "'");
            }
            if (layer.has("urls")) {
                throw new MsbException("layer " + d.digest() + " is a foreign layer (urls); not supported");
            }
            layers.add(d);
        }
        return new ImageManifest(mediaType, config, layers);
    }

    private static Descriptor descriptor(JsonNode node, String what) {
        if (!node.isObject()) {
            throw new MsbException("manifest " + what + " must be an object");
        }
        String digest = node.path("digest").asText(null);
        if (!Digests.isValid(digest)) {
            throw new MsbException("manifest " + what + " digest must be sha256:<64 hex>, got '" + digest + "'");
        }
        JsonNode sizeNode = node.path("size");
        if (!sizeNode.canConvertToLong() || sizeNode.asLong() < 0) {
            throw new MsbException("manifest " + what + " " + digest + " size must be a non-negative integer");
        }
        Platform platform = null;
        JsonNode p = node.path("platform");
        if (p.isObject()) {
            platform = new Platform(p.path("os").asText(""), p.path("architecture").asText(""),
                    p.path("variant").asText(""));
        }
        Map<String, String> annotations = new java.util.HashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = node.path("annotations").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            annotations.put(e.getKey(), e.getValue().asText());
        }
        return new Descriptor(node.path("mediaType").asText(""), digest, sizeNode.asLong(), platform, annotations);
    }

    /**
     * Picks the entry for {@code want}: same os and architecture; the exact variant if one is wanted and listed,
     * else an entry without a variant, else the first match.
     */
    static Descriptor select(Index index, Platform want) {
        Descriptor noVariant = null;
        Descriptor any = null;
        List<String> offered = new ArrayList<>();
        for (Descriptor d : index.manifests()) {
            Platform p = d.platform();
            if (p == null) {
                continue;
            }
            offered.add(p.toString());
            if (!p.os().equals(want.os()) || !p.architecture().equals(want.architecture())) {
                continue;
            }
            if (!want.variant().isEmpty() && p.variant().equals(want.variant())) {
                return d;
            }
            if (p.variant().isEmpty() && noVariant == null) {
                noVariant = d;
            }
            if (any == null) {
                any = d;
            }
        }
        if (noVariant != null) {
            return noVariant;
        }
        if (any != null) {
            return any;
        }
        throw new MsbException("image has no manifest for platform " + want + " (offers " + offered + ")");
    }

    static Config parseConfig(byte[] body) {
        JsonNode root = tree(body, "config");
        JsonNode c = root.path("config");
        List<String> exposed = new ArrayList<>();
        c.path("ExposedPorts").fieldNames().forEachRemaining(exposed::add);
        ImageConfig runtime = new ImageConfig(strings(c.path("Env"), "Env"), strings(c.path("Entrypoint"), "Entrypoint"),
                strings(c.path("Cmd"), "Cmd"), text(c.path("WorkingDir")), text(c.path("User")), exposed);
        List<String> diffIds = strings(root.path("rootfs").path("diff_ids"), "rootfs.diff_ids");
        for (String id : diffIds) {
            if (!Digests.isValid(id)) {
                throw new MsbException("config rootfs.diff_ids entry must be sha256:<64 hex>, got '" + id + "'");
            }
        }
        return new Config(runtime, diffIds, root.path("os").asText(""), root.path("architecture").asText(""));
    }

    private static String text(JsonNode node) {
        String s = node.isTextual() ? node.asText() : null;
        return s == null || s.isEmpty() ? null : s;
    }

    private static List<String> strings(JsonNode node, String field) {
        if (node.isMissingNode() || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw new MsbException("config " + field + " must be an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode n : node) {
            if (!n.isTextual()) {
                throw new MsbException("config " + field + " must be an array of strings");
            }
            out.add(n.asText());
        }
        return out;
    }

    static JsonNode tree(byte[] body, String what) {
        try {
            JsonNode root = JSON.readTree(body);
            if (root == null || !root.isObject()) {
                throw new MsbException(what + " is not a JSON object");
            }
            return root;
        } catch (IOException e) {
            throw new MsbException(what + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    static String toJson(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static ImageConfig configFromJson(String json) {
        try {
            return JSON.readValue(json, ImageConfig.class);
        } catch (IOException e) {
            throw new MsbException("stored image config is not valid JSON: " + e.getMessage(), e);
        }
    }
}
