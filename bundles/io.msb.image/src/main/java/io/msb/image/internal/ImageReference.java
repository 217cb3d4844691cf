package io.msb.image.internal;

import java.util.regex.Pattern;

/**
 * An image reference normalised the way Docker does it: {@code alpine} is
 * {@code docker.io/library/alpine:latest}; a first component with a dot, a colon or {@code localhost} is a
 * registry host (ports allowed).
 *
 * @param registry registry host[:port], {@code docker.io} for Docker Hub
 * @param repository repository path, e.g. {@code library/alpine}
 * @param tag tag, or null when only a digest was given
 * @param digest {@code sha256:…}, or null
 */
public record ImageReference(String registry, String repository, String tag, String digest) {
    static final String DOCKER_HUB = "docker.io";
    private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    private static final Pattern HOST = Pattern.compile(
            "(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
                    + "|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?");
    private static final int MAX_NAME = 255;

    /** Parses and normalises {@code text}; errors name the field {@code image} and the rule. */
    public static ImageReference parse(String text) {
        if (text == null || text.isBlank()) {
            throw Invalid.of("image", "must not be empty");
        }
        String rest = text.trim();
        String digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = rest.substring(at + 1);
            rest = rest.substring(0, at);
            Digests.requireValid("image digest", digest);
        }
        String tag = null;
        int colon = rest.lastIndexOf(':');
        if (colon > rest.lastIndexOf('/')) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
            if (!TAG.matcher(tag).matches()) {
                throw Invalid.of("image", "has an invalid tag '" + tag
                        + "' (letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-')");
            }
        }
        String registry = DOCKER_HUB;
        String path = rest;
        int slash = rest.indexOf('/');
        if (slash > 0) {
            String first = rest.substring(0, slash);
            if (first.contains(".") || first.contains(":") || first.equals("localhost")
                    || first.startsWith("[")) {
                registry = first;
                path = rest.substring(slash + 1);
                if (!HOST.matcher(registry).matches()) {
                    throw Invalid.of("image", "has an invalid registry host '" + registry + "'");
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
            throw Invalid.of("image", "repository name must be 1.." + MAX_NAME + " characters");
        }
        for (String component : path.split("/", -1)) {
            if (!COMPONENT.matcher(component).matches()) {
                throw Invalid.of("image", "has an invalid repository component '" + component
                        + "' (lowercase letters and digits, separated by '.', '_', '__' or '-')");
            }
        }
        if (tag == null && digest == null) {
            tag = "latest";
        }
        return new ImageReference(registry, path, tag, digest);
    }

    /** The tag or digest to ask the registry for; the digest wins when both are present. */
    public String manifestRef() {
        return digest != null ? digest : tag;
    }

    /** The host name without port or brackets. */
    public String hostName() {
        String host = registry;
        if (host.startsWith("[")) {
            return host.substring(1, host.indexOf(']'));
        }
        int colon = host.lastIndexOf(':');
        return colon >= 0 ? host.substring(0, colon) : host;
    }

    /** The short form Docker prints ({@code alpine:latest}), used in Docker archives' RepoTags. */
    public String familiar() {
        String name = registry.equals(DOCKER_HUB)
                ? (repository.startsWith("library/") ? repository.substring(8) : repository)
                : registry + "/" + repository;
        return name + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
    }

    @Override
    public String toString() {
        return registry + "/" + repository + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
    }
}
