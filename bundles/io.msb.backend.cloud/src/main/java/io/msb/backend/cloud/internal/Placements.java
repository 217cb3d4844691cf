package io.msb.backend.cloud.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The sandboxes this backend placed on its remote, one JSON file each under
 * {@code <home>/backends/<backend>/placements/}, written whole ({@link PrivateFiles}, decision 1722). A create
 * writes the entry {@code pending} before it asks the remote and {@code placed} once it answered, so that a crash
 * in between is settled by asking the remote on the next start. Each entry keeps the create body (without secret
 * values) and the remote's last answer, from which the sandbox is shown while the remote cannot be reached.
 */
final class Placements {
    private static final System.Logger LOG = System.getLogger(Placements.class.getName());
    /** A journal file is ours, but bounded all the same: a create body plus one answer. */
    private static final long MAX_ENTRY_BYTES = 4 << 20;
    private final Path dir;

    /** One placement: {@code remote} is the last answer the remote gave for it (null while pending). */
    record Placement(String name, boolean pending, ObjectNode request, JsonNode remote) {
        Placement placed(JsonNode answer) {
            return new Placement(name, false, request, answer);
        }
    }

    Placements(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the placement journal " + dir, e);
        }
    }

    Path dir() {
        return dir;
    }

    /** Every readable entry; one that cannot be read is logged and skipped (left on disk for a person to look at). */
    List<Placement> all() {
        List<Placement> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList()) {
                try {
                    out.add(read(f));
                } catch (IOException | RuntimeException e) {
                    LOG.log(Level.WARNING, "skipping the unreadable placement {0}: {1}", f, e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the placement journal " + dir, e);
        }
        return out;
    }

    Optional<Placement> get(String name) {
        Path f = file(name);
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        try {
            return Optional.of(read(f));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the placement " + f, e);
        }
    }

    void put(Placement p) {
        ObjectNode node = RemoteMsb.JSON.createObjectNode();
        node.put("name", p.name()).put("state", p.pending() ? "pending" : "placed");
        node.set("request", p.request());
        node.set("remote", p.remote());
        Path target = file(p.name());
        try {
            PrivateFiles.replace(target, RemoteMsb.JSON.writeValueAsBytes(node));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the placement " + target, e);
        }
    }

    void remove(String name) {
        try {
            Files.deleteIfExists(file(name));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the placement of " + name, e);
        }
    }

    /** base64url of the name: any sandbox name is a safe file name (at most 128 bytes: 172 characters). */
    private Path file(String name) {
        return dir.resolve(Base64.getUrlEncoder().withoutPadding()
                .encodeToString(name.getBytes(StandardCharsets.UTF_8)) + ".json");
    }

    private static Placement read(Path f) throws IOException {
        if (Files.size(f) > MAX_ENTRY_BYTES) {
            throw new IOException("larger than " + MAX_ENTRY_BYTES + " bytes");
        }
        JsonNode node = RemoteMsb.JSON.readTree(Files.readAllBytes(f));
        String name = node.path("name").asText(null);
        if (name == null || !node.path("request").isObject()) {
            throw new IOException("no name or request");
        }
        JsonNode remote = node.path("remote").isObject() ? node.get("remote") : null;
        return new Placement(name, "pending".equals(node.path("state").asText()), (ObjectNode) node.get("request"),
                remote);
    }
}
