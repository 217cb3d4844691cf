package io.msb.image.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.msb.api.MsbException;
import io.msb.api.image.ImageReference;
import io.msb.api.image.ImageInfo;
import io.msb.api.image.ImageService.ArchiveFormat;
import io.msb.api.image.LayerInfo;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * Docker-archive ({@code docker save}) and OCI-layout tarballs. Loading streams every entry into the blob cache
 * (so layers never sit in memory) and then interprets the small JSON entries.
 */
final class Archives {
    record Loaded(String reference, String manifestDigest, Manifests.ImageManifest manifest, Manifests.Config config) {
    }

    private static final long MAX_ENTRY = 64L << 30;
    private static final int MAX_JSON = 8 << 20;
    private static final int MAX_ENTRIES = 10_000;
    private final BlobCache cache;
    private final Manifests.Platform platform;

    Archives(BlobCache cache, Manifests.Platform platform) {
        this.cache = cache;
        this.platform = platform;
    }

    List<Loaded> load(Path archive) {
        Map<String, String> digests = new HashMap<>();
        Map<String, Long> sizes = new HashMap<>();
        try (Tar.Reader tar = new Tar.Reader(new BufferedInputStream(Files.newInputStream(archive), 1 << 16))) {
            int count = 0;
            for (TarArchiveEntry e; (e = tar.nextFile()) != null; ) {
                if (++count > MAX_ENTRIES) {
                    throw new MsbException("archive has more than " + MAX_ENTRIES + " files");
                }
                String name = e.getName().startsWith("./") ? e.getName().substring(2) : e.getName();
                if (e.getSize() > MAX_ENTRY) {
                    throw new MsbException("archive entry " + name + " is larger than " + MAX_ENTRY + " bytes");
                }
                BlobCache.Imported imported = cache.importStream(tar, MAX_ENTRY);
                if (name.startsWith("blobs/sha256/") && !name.equals("blobs/sha256/" + Digests.hex(imported.digest()))) {
                    throw new MsbException("archive entry " + name + " does not match its content (" + imported.digest() + ")");
                }
                digests.put(name, imported.digest());
                sizes.put(name, imported.size());
            }
        } catch (NoSuchFileException e) {
            throw new MsbException("archive not found: " + archive);
        } catch (IOException e) {
            throw new MsbException("cannot read archive " + archive + ": " + e.getMessage(), e);
        }
        if (digests.containsKey("manifest.json")) {
            return loadDocker(digests, sizes);
        }
        if (digests.containsKey("index.json") && digests.containsKey("oci-layout")) {
            return loadOci(digests);
        }
        throw new MsbException("archive " + archive + " is neither a Docker archive (manifest.json) nor an OCI layout"
                + " (oci-layout + index.json)");
    }

    private List<Loaded> loadDocker(Map<String, String> digests, Map<String, Long> sizes) {
        JsonNode list = json(digests, "manifest.json");
        if (!list.isArray()) {
            throw new MsbException("archive manifest.json must be an array");
        }
        List<Loaded> out = new ArrayList<>();
        for (JsonNode item : list) {
            String configName = item.path("Config").asText("");
            String configDigest = entry(digests, configName, "Config");
            byte[] configBytes = cache.read(configDigest, Manifests.MAX_CONFIG_BYTES);
            Manifests.Config config = Manifests.parseConfig(configBytes);
            ObjectNode manifest = Manifests.json().createObjectNode();
            manifest.put("schemaVersion", 2).put("mediaType", Manifests.OCI_MANIFEST);
            manifest.set("config", descriptor(Manifests.OCI_CONFIG, configDigest, configBytes.length));
            ArrayNode layers = manifest.putArray("layers");
            JsonNode layerNames = item.path("Layers");
            if (!layerNames.isArray() || layerNames.size() > Manifests.MAX_LAYERS) {
                throw new MsbException("archive manifest.json Layers must be an array of at most " + Manifests.MAX_LAYERS);
            }
            for (JsonNode layerName : layerNames) {
                String digest = entry(digests, layerName.asText(""), "Layers");
                layers.add(descriptor(layerMediaType(digest), digest, sizes.get(layerName.asText())));
            }
            byte[] manifestBytes = Manifests.toJson(manifest).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            String manifestDigest = cache.putBytes(manifestBytes);
            var parsed = (Manifests.ImageManifest) Manifests.parse(manifestBytes, Manifests.OCI_MANIFEST);
            List<String> tags = new ArrayList<>();
            item.path("RepoTags").forEach(t -> tags.add(t.asText()));
            if (tags.isEmpty()) {
                out.add(new Loaded(manifestDigest, manifestDigest, parsed, config));
            }
            for (String tag : tags) {
                out.add(new Loaded(ImageReference.parse("RepoTags", tag).toString(), manifestDigest, parsed, config));
            }
        }
        return out;
    }

    private List<Loaded> loadOci(Map<String, String> digests) {
        JsonNode index = json(digests, "index.json");
        var parsedIndex = Manifests.parse(Manifests.toJson(index).getBytes(java.nio.charset.StandardCharsets.UTF_8),
                Manifests.OCI_INDEX);
        if (!(parsedIndex instanceof Manifests.Index top)) {
            throw new MsbException("archive index.json is not an image index");
        }
        List<Loaded> out = new ArrayList<>();
        for (Manifests.Descriptor d : top.manifests()) {
            Manifests.Descriptor chosen = d;
            Manifests.Parsed p = Manifests.parse(blob(d.digest()), d.mediaType());
            if (p instanceof Manifests.Index nested) {
                chosen = Manifests.select(nested, platform);
                p = Manifests.parse(blob(chosen.digest()), chosen.mediaType());
            }
            if (!(p instanceof Manifests.ImageManifest m)) {
                throw new MsbException("archive manifest " + chosen.digest() + " is an index inside an index");
            }
            for (Manifests.Descriptor need : m.layers()) {
                if (!cache.has(need.digest())) {
                    throw new MsbException("archive lacks layer blob " + need.digest());
                }
            }
            Manifests.Config config = Manifests.parseConfig(cache.read(m.config().digest(), Manifests.MAX_CONFIG_BYTES));
            String name = d.annotations().get("io.containerd.image.name");
            String refName = d.annotations().get("org.opencontainers.image.ref.name");
            if (name == null && refName != null && (refName.contains("/") || refName.contains(":"))) {
                name = refName;
            }
            out.add(new Loaded(name != null ? ImageReference.parse("io.containerd.image.name", name).toString() : chosen.digest(), chosen.digest(), m, config));
        }
        return out;
    }

    private byte[] blob(String digest) {
        if (!cache.has(digest)) {
            throw new MsbException("archive lacks blob " + digest);
        }
        return cache.read(digest, Manifests.MAX_MANIFEST_BYTES);
    }

    private static String entry(Map<String, String> digests, String name, String field) {
        String digest = digests.get(name.startsWith("./") ? name.substring(2) : name);
        if (digest == null) {
            throw new MsbException("archive manifest.json " + field + " names a missing entry '" + name + "'");
        }
        return digest;
    }

    private JsonNode json(Map<String, String> digests, String name) {
        byte[] body = cache.read(digests.get(name), MAX_JSON);
        try {
            return Manifests.json().readTree(body);
        } catch (IOException e) {
            throw new MsbException("archive " + name + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    /** Docker archives may hold plain tars (older Docker) or compressed blobs (Docker 25+): look at the bytes. */
    private String layerMediaType(String digest) {
        try (InputStream in = Files.newInputStream(cache.path(digest))) {
            byte[] magic = in.readNBytes(4);
            if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
                return Manifests.OCI_LAYER + "+gzip";
            }
            if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5
                    && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd) {
                return Manifests.OCI_LAYER + "+zstd";
            }
            return Manifests.OCI_LAYER;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ObjectNode descriptor(String mediaType, String digest, long size) {
        ObjectNode d = Manifests.json().createObjectNode();
        d.put("mediaType", mediaType).put("digest", digest).put("size", size);
        return d;
    }

    /** @param ref what the image is saved as: its name in the archive, unless it is a bare digest */
    void save(ImageReference ref, ImageInfo info, Path archive, ArchiveFormat format) {
        Path tmp = archive.resolveSibling(archive.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            Path parent = archive.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
                    Tar.Writer tar = new Tar.Writer(out)) {
                List<String> blobs = new ArrayList<>();
                blobs.add(info.configDigest());
                info.layers().stream().map(LayerInfo::digest).distinct().forEach(blobs::add);
                if (format == ArchiveFormat.OCI_LAYOUT) {
                    blobs.add(0, info.manifestDigest());
                }
                for (String d : blobs) {
                    Path p = cache.path(d);
                    try (InputStream in = Files.newInputStream(p)) {
                        tar.file("blobs/sha256/" + Digests.hex(d), 0644, Files.size(p), in);
                    }
                }
                if (format == ArchiveFormat.OCI_LAYOUT) {
                    writeOciIndex(ref, info, tar);
                } else {
                    writeDockerManifest(ref, info, tar);
                }
            }
            Files.move(tmp, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
            throw new MsbException("cannot write archive " + archive + ": " + e.getMessage(), e);
        }
    }

    private void writeOciIndex(ImageReference ref, ImageInfo info, Tar.Writer tar) throws IOException {
        byte[] manifest = cache.read(info.manifestDigest(), Manifests.MAX_MANIFEST_BYTES);
        String mediaType = ((Manifests.ImageManifest) Manifests.parse(manifest, null)).mediaType();
        ObjectNode index = Manifests.json().createObjectNode();
        index.put("schemaVersion", 2).put("mediaType", Manifests.OCI_INDEX);
        ObjectNode d = descriptor(mediaType, info.manifestDigest(), manifest.length);
        if (ref.kind() != ImageReference.Kind.DIGEST) {
            ObjectNode annotations = d.putObject("annotations");
            annotations.put("io.containerd.image.name", ref.toString());
            if (ref.tag() != null) {
                annotations.put("org.opencontainers.image.ref.name", ref.tag());
            }
        }
        index.putArray("manifests").add(d);
        tar.file("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        tar.file("index.json", Manifests.toJson(index).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static void writeDockerManifest(ImageReference ref, ImageInfo info, Tar.Writer tar) throws IOException {
        ObjectNode item = Manifests.json().createObjectNode();
        item.put("Config", "blobs/sha256/" + Digests.hex(info.configDigest()));
        ArrayNode tags = item.putArray("RepoTags");
        if (ref.kind() != ImageReference.Kind.DIGEST) {
            tags.add(ref.familiar());
        }
        ArrayNode layers = item.putArray("Layers");
        info.layers().forEach(l -> layers.add("blobs/sha256/" + Digests.hex(l.digest())));
        ArrayNode list = Manifests.json().createArrayNode().add(item);
        tar.file("manifest.json", Manifests.toJson(list).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
