package io.msb.image.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.msb.api.MsbException;
import io.msb.api.image.ImageReference;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Registry credentials: msb's own configuration first, then Docker's {@code config.json} (credential helpers,
 * {@code credsStore}, then {@code auths}).
 */
final class Credentials {
    record Login(String username, String password) {
        String basicHeader() {
            return "Basic " + Base64.getEncoder()
                    .encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String toString() {
            return "Login[" + username + ", ***]";
        }
    }

    private static final String HUB_KEY = "https://index.docker.io/v1/";
    private static final int MAX_HELPER_OUTPUT = 64 * 1024;
    private final Map<String, Login> configured;
    private final Path dockerConfig;
    private final Path helperDir;

    Credentials(List<String> entries, Path dockerConfig) {
        this(entries, dockerConfig, null);
    }

    /**
     * @param entries {@code registry=username:password} entries from msb's configuration
     * @param dockerConfig Docker's config.json, or null to ignore it
     * @param helperDir where credential helpers live, or null to search the PATH
     */
    Credentials(List<String> entries, Path dockerConfig, Path helperDir) {
        this.helperDir = helperDir;
        Map<String, Login> map = new HashMap<>();
        for (String entry : entries) {
            int eq = entry.indexOf('=');
            int colon = entry.indexOf(':', eq + 1);
            if (eq <= 0 || colon < 0 || colon == eq + 1) {
                throw Invalid.of("credentials", "entries must be registry=username:password");
            }
            map.put(normalise(entry.substring(0, eq)), new Login(entry.substring(eq + 1, colon), entry.substring(colon + 1)));
        }
        this.configured = Map.copyOf(map);
        this.dockerConfig = dockerConfig;
    }

    /** Docker's config file: {@code $DOCKER_CONFIG/config.json}, else {@code ~/.docker/config.json}. */
    static Path defaultDockerConfig() {
        String dir = System.getenv("DOCKER_CONFIG");
        return dir != null && !dir.isBlank() ? Path.of(dir, "config.json")
                : Path.of(System.getProperty("user.home"), ".docker", "config.json");
    }

    Optional<Login> lookup(String registry) {
        Login own = configured.get(registry);
        if (own != null) {
            return Optional.of(own);
        }
        if (dockerConfig == null || !Files.isRegularFile(dockerConfig)) {
            return Optional.empty();
        }
        JsonNode root;
        try {
            if (Files.size(dockerConfig) > 4 << 20) {
                throw new MsbException("docker config " + dockerConfig + " is larger than 4 MiB");
            }
            root = Manifests.tree(Files.readAllBytes(dockerConfig), "docker config " + dockerConfig);
        } catch (IOException e) {
            throw new MsbException("cannot read docker config " + dockerConfig + ": " + e.getMessage(), e);
        }
        String serverUrl = registry.equals(ImageReference.DOCKER_HUB) ? HUB_KEY : registry;
        String helper = root.path("credHelpers").path(registry).asText(null);
        if (helper == null && registry.equals(ImageReference.DOCKER_HUB)) {
            helper = root.path("credHelpers").path("index.docker.io").asText(null);
        }
        if (helper == null) {
            helper = root.path("credsStore").asText(null);
        }
        if (helper != null && !helper.isBlank()) {
            Optional<Login> fromHelper = runHelper(helper, serverUrl);
            if (fromHelper.isPresent()) {
                return fromHelper;
            }
        }
        var fields = root.path("auths").fields();
        while (fields.hasNext()) {
            var e = fields.next();
            if (!normalise(e.getKey()).equals(registry)) {
                continue;
            }
            JsonNode a = e.getValue();
            String auth = a.path("auth").asText("");
            if (!auth.isEmpty()) {
                String decoded = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                if (colon <= 0) {
                    throw new MsbException("docker config auths." + e.getKey() + ".auth is not base64(user:password)");
                }
                return Optional.of(new Login(decoded.substring(0, colon), decoded.substring(colon + 1)));
            }
            if (a.hasNonNull("username") && a.hasNonNull("password")) {
                return Optional.of(new Login(a.path("username").asText(), a.path("password").asText()));
            }
        }
        return Optional.empty();
    }

    /** Runs {@code docker-credential-<helper> get}: server URL on stdin, {@code {Username, Secret}} on stdout. */
    private Optional<Login> runHelper(String helper, String serverUrl) {
        if (!helper.matches("[A-Za-z0-9_.-]+")) {
            throw new MsbException("docker config credential helper name '" + helper + "' is invalid");
        }
        Process process;
        try {
            String program = "docker-credential-" + helper;
            process = new ProcessBuilder(helperDir == null ? program : helperDir.resolve(program).toString(), "get")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            return Optional.empty(); // helper configured but not installed: Docker ignores it too for pulls
        }
        try (OutputStream in = process.getOutputStream(); InputStream out = process.getInputStream()) {
            in.write(serverUrl.getBytes(StandardCharsets.UTF_8));
            in.close();
            byte[] body = out.readNBytes(MAX_HELPER_OUTPUT + 1);
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new MsbException("credential helper docker-credential-" + helper + " did not finish in 10 s");
            }
            if (process.exitValue() != 0 || body.length > MAX_HELPER_OUTPUT) {
                return Optional.empty(); // "credentials not found"
            }
            JsonNode r = Manifests.tree(body, "credential helper output");
            String user = r.path("Username").asText("");
            String secret = r.path("Secret").asText("");
            return secret.isEmpty() ? Optional.empty() : Optional.of(new Login(user, secret));
        } catch (IOException e) {
            throw new MsbException("credential helper docker-credential-" + helper + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new MsbException("interrupted while running credential helper " + helper, e);
        }
    }

    /** {@code https://index.docker.io/v1/} and {@code registry.example:5000} style keys to a bare host[:port]. */
    static String normalise(String key) {
        String k = key.trim();
        int scheme = k.indexOf("://");
        if (scheme >= 0) {
            k = k.substring(scheme + 3);
        }
        int slash = k.indexOf('/');
        if (slash >= 0) {
            k = k.substring(0, slash);
        }
        return switch (k) {
            case "index.docker.io", "registry-1.docker.io" -> ImageReference.DOCKER_HUB;
            default -> k;
        };
    }
}
