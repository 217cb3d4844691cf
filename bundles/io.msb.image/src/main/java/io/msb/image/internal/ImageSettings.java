package io.msb.image.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Plain-Java settings of the image service; {@link ImageServiceConfig} is their OSGi face.
 *
 * @param home msb home; blobs live in {@code home/cache/blobs/sha256}
 * @param maxParallelDownloads layer downloads running at once, across all pulls of this service
 * @param insecureRegistries hosts ({@code host} or {@code host:port}) allowed over plain HTTP or unverified TLS
 * @param mirrors registry → mirror base URL, tried before the registry itself
 * @param caCertificates PEM file or directory of PEM files trusted in addition to the JVM's CAs, or null
 * @param credentials {@code registry=username:password} entries
 * @param dockerConfig Docker's config.json to read credentials from, or null
 * @param platform platform to select from image indexes, {@code os/arch[/variant]}
 * @param retries attempts per blob or manifest after a transport failure
 * @param stallTimeoutSeconds a blob download receiving nothing for this long is cut and resumed
 */
public record ImageSettings(Path home, int maxParallelDownloads, Set<String> insecureRegistries,
        Map<String, String> mirrors, Path caCertificates, List<String> credentials, Path dockerConfig,
        String platform, int retries, int stallTimeoutSeconds) {
    public ImageSettings {
        if (home == null) {
            throw Invalid.of("home", "must be set");
        }
        if (maxParallelDownloads < 1 || maxParallelDownloads > 64) {
            throw Invalid.of("maxParallelDownloads", "must be 1..64, got " + maxParallelDownloads);
        }
        if (retries < 0 || retries > 20) {
            throw Invalid.of("retries", "must be 0..20, got " + retries);
        }
        if (stallTimeoutSeconds < 1 || stallTimeoutSeconds > 3600) {
            throw Invalid.of("stallTimeoutSeconds", "must be 1..3600, got " + stallTimeoutSeconds);
        }
        insecureRegistries = Set.copyOf(insecureRegistries);
        mirrors = Map.copyOf(mirrors);
        credentials = List.copyOf(credentials);
        Manifests.Platform.parse(platform);
    }

    /** Defaults for {@code home}: 4 parallel downloads, linux/amd64, Docker's config file, 5 retries, 60 s stalls. */
    public static ImageSettings defaults(Path home) {
        return new ImageSettings(home, 4, Set.of(), Map.of(), null, List.of(), Credentials.defaultDockerConfig(),
                "linux/amd64", 5, 60);
    }

    public ImageSettings withInsecure(Set<String> hosts) {
        return new ImageSettings(home, maxParallelDownloads, hosts, mirrors, caCertificates, credentials, dockerConfig,
                platform, retries, stallTimeoutSeconds);
    }

    public ImageSettings withCredentials(List<String> entries, Path docker) {
        return new ImageSettings(home, maxParallelDownloads, insecureRegistries, mirrors, caCertificates, entries,
                docker, platform, retries, stallTimeoutSeconds);
    }

    public ImageSettings withPlatform(String value) {
        return new ImageSettings(home, maxParallelDownloads, insecureRegistries, mirrors, caCertificates, credentials,
                dockerConfig, value, retries, stallTimeoutSeconds);
    }

    public ImageSettings withMirrors(Map<String, String> value) {
        return new ImageSettings(home, maxParallelDownloads, insecureRegistries, value, caCertificates, credentials,
                dockerConfig, platform, retries, stallTimeoutSeconds);
    }

    public ImageSettings withCaCertificates(Path value) {
        return new ImageSettings(home, maxParallelDownloads, insecureRegistries, mirrors, value, credentials,
                dockerConfig, platform, retries, stallTimeoutSeconds);
    }

    public ImageSettings withStallTimeout(int seconds) {
        return new ImageSettings(home, maxParallelDownloads, insecureRegistries, mirrors, caCertificates, credentials,
                dockerConfig, platform, retries, seconds);
    }
}
