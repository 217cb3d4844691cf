package io.msb.api.image;

import io.msb.api.Check;
import io.msb.api.InvalidConfigException;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An image reference, parsed once where it enters the platform (HTTP body, console command, CLI argument) and
 * carried typed from there. Three forms:
 * <ul>
 * <li>{@link Kind#REGISTRY}: normalised the way Docker does it: {@code alpine} is
 * {@code docker.io/library/alpine:latest}; a first component with a dot, a colon or {@code localhost} is a registry
 * host (ports allowed); {@code index.docker.io} and {@code registry-1.docker.io} are {@code docker.io}.
 * <li>{@link Kind#BUILTIN}: {@code builtin:NAME}, an image the image service makes itself.
 * <li>{@link Kind#DIGEST}: a bare {@code sha256:…}, naming an image loaded from an archive without a tag.
 * </ul>
 * Two references are equal when their normalised forms ({@link #toString()}) are; {@link #text()} keeps what the
 * user wrote, which is what the platform shows and stores.
 */
public final class ImageReference {
    /** Where in the platform a reference names the image: builtin images, loaded digests, registries. */
    public enum Kind { REGISTRY, BUILTIN, DIGEST }

    /** Docker Hub's canonical registry name. */
    public static final String DOCKER_HUB = "docker.io";
    private static final String BUILTIN_PREFIX = "builtin:";
    private static final Pattern DIGEST = Pattern.compile("sha256:[a-f0-9]{64}");
    private static final Pattern BUILTIN_NAME = Pattern.compile("[a-z0-9]+(?:-[a-z0-9]+)*");
    private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    private static final Pattern HOST = Pattern.compile(
            "(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
                    + "|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?");
    private static final int MAX_NAME = 255;
    private static final int MAX_TEXT = 4096;

    private final Kind kind;
    private final String text;
    private final String registry;
    private final String repository;
    private final String tag;
    private final String digest;
    private final String canonical;

    private ImageReference(Kind kind, String text, String registry, String repository, String tag, String digest) {
        this.kind = kind;
        this.text = text;
        this.registry = registry;
        this.repository = repository;
        this.tag = tag;
        this.digest = digest;
        this.canonical = switch (kind) {
            case BUILTIN -> BUILTIN_PREFIX + repository;
            case DIGEST -> digest;
            case REGISTRY -> registry + "/" + repository + (tag != null ? ":" + tag : "")
                    + (digest != null ? "@" + digest : "");
        };
    }

    /** Parses {@code text}; an error names the field {@code image}. */
    public static ImageReference parse(String text) {
        return parse("image", text);
    }

    /**
     * Parses and normalises {@code text}.
     *
     * @param field the field the text came from, named in the error, e.g. {@code image.reference}
     * @throws InvalidConfigException {@code field: "Foo:bar" is not a valid image reference: <the rule>}
     */
    public static ImageReference parse(String field, String text) {
        Objects.requireNonNull(field, "field");
        if (text == null || text.isBlank()) {
            throw Check.invalid(field, "an image reference must not be empty");
        }
        if (text.length() > MAX_TEXT) {
            throw invalid(field, text, "longer than " + MAX_TEXT + " characters");
        }
        String rest = text.trim();
        if (rest.startsWith(BUILTIN_PREFIX)) {
            String name = rest.substring(BUILTIN_PREFIX.length());
            if (!BUILTIN_NAME.matcher(name).matches()) {
                throw invalid(field, text, "a builtin image name is lowercase letters and digits joined by '-'");
            }
            return new ImageReference(Kind.BUILTIN, rest, null, name, null, null);
        }
        if (DIGEST.matcher(rest).matches()) {
            return new ImageReference(Kind.DIGEST, rest, null, null, null, rest);
        }
        String digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = rest.substring(at + 1);
            rest = rest.substring(0, at);
            if (!DIGEST.matcher(digest).matches()) {
                throw invalid(field, text, "the digest must be sha256:<64 lowercase hex digits>");
            }
        }
        String tag = null;
        int colon = rest.lastIndexOf(':');
        if (colon > rest.lastIndexOf('/')) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
            if (!TAG.matcher(tag).matches()) {
                throw invalid(field, text, "invalid tag '" + tag
                        + "' (letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-')");
            }
        }
        String registry = DOCKER_HUB;
        String path = rest;
        int slash = rest.indexOf('/');
        if (slash > 0) {
            String first = rest.substring(0, slash);
            if (first.contains(".") || first.contains(":") || first.equals("localhost") || first.startsWith("[")) {
                registry = first;
                path = rest.substring(slash + 1);
                if (!HOST.matcher(registry).matches()) {
                    throw invalid(field, text, "invalid registry host '" + registry + "'");
                }
            }
        }
        if (registry.equals("index.docker.io") || registry.equals("registry-1.docker.io")) {
            registry = DOCKER_HUB;
        }
        if (registry.equals(DOCKER_HUB) && !path.contains("/")) {
            path = "library/" + path;
        }
        if (path.isEmpty() || path.length() > MAX_NAME) {
            throw invalid(field, text, "the repository name must be 1.." + MAX_NAME + " characters");
        }
        for (String component : path.split("/", -1)) {
            if (!COMPONENT.matcher(component).matches()) {
                throw invalid(field, text, "invalid repository component '" + component
                        + "' (lowercase letters and digits, separated by '.', '_', '__' or '-')");
            }
        }
        if (tag == null && digest == null) {
            tag = "latest";
        }
        return new ImageReference(Kind.REGISTRY, text.trim(), registry, path, tag, digest);
    }

    private static InvalidConfigException invalid(String field, String text, String rule) {
        String shown = text.length() > 200 ? text.substring(0, 200) + "…" : text;
        return Check.invalid(field, "\"" + shown + "\" is not a valid image reference: " + rule);
    }

    public Kind kind() {
        return kind;
    }

    /** The reference as it was written (trimmed): what the platform shows and stores. */
    public String text() {
        return text;
    }

    /** Registry host[:port] ({@code docker.io} for Docker Hub); null unless {@link Kind#REGISTRY}. */
    public String registry() {
        return registry;
    }

    /** Repository path, e.g. {@code library/alpine}; the name of a builtin image; null for a bare digest. */
    public String repository() {
        return repository;
    }

    /** The tag, or null when only a digest was given (or for builtin and digest forms). */
    public String tag() {
        return tag;
    }

    /** {@code sha256:…}, or null. */
    public String digest() {
        return digest;
    }

    /** The tag or digest to ask the registry for; the digest wins when both are present. */
    public String manifestRef() {
        return digest != null ? digest : tag;
    }

    /** The registry's host name without port or brackets; null unless {@link Kind#REGISTRY}. */
    public String hostName() {
        return registry == null ? null : hostName(registry);
    }

    /** The host name of {@code host[:port]} or {@code [v6][:port]}, without port or brackets. */
    public static String hostName(String registry) {
        if (registry.startsWith("[") && registry.indexOf(']') > 0) {
            return registry.substring(1, registry.indexOf(']'));
        }
        int colon = registry.lastIndexOf(':');
        return colon >= 0 && registry.indexOf(':') == colon ? registry.substring(0, colon) : registry;
    }

    /** The short form Docker prints ({@code alpine:latest}), used in Docker archives' RepoTags. */
    public String familiar() {
        if (kind != Kind.REGISTRY) {
            return canonical;
        }
        String name = registry.equals(DOCKER_HUB)
                ? (repository.startsWith("library/") ? repository.substring(8) : repository)
                : registry + "/" + repository;
        return name + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageReference other && canonical.equals(other.canonical);
    }

    @Override
    public int hashCode() {
        return canonical.hashCode();
    }

    /** The normalised form, e.g. {@code docker.io/library/alpine:latest}, {@code builtin:busybox}, {@code sha256:…}. */
    @Override
    public String toString() {
        return canonical;
    }
}
