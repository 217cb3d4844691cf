package io.msb.cli.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where the server is and how to authenticate (decision 0011): {@code MSB_API_URL} (default
 * {@code http://127.0.0.1:5555}), {@code MSB_API_KEY}, else the key file {@code $MSB_HOME/api-key}.
 *
 * @param apiUrl the server's base URL, without a trailing slash
 * @param apiKey the bearer key, or null when none is configured
 * @param keySource where the key came from, for error messages
 * @param startHint how to start the server, for the "unreachable" message
 */
public record Config(URI apiUrl, String apiKey, String keySource, String startHint) {
    public static final String DEFAULT_URL = "http://127.0.0.1:5555";
    /** A key is a short token; a bigger file is not a key file. */
    static final int MAX_KEY_BYTES = 4096;

    /** Reads the configuration from the environment; {@code launcher} is the bin/msb-server path, or null. */
    public static Config fromEnvironment(Map<String, String> env, String launcher) {
        URI url = parseUrl(env.getOrDefault("MSB_API_URL", "").isBlank() ? DEFAULT_URL : env.get("MSB_API_URL").trim());
        String hint = launcher != null ? launcher + " start" : "msb-server start (in the server distribution's bin/)";
        String key = env.get("MSB_API_KEY");
        if (key != null && !key.isBlank()) {
            return new Config(url, checkKey(key.trim(), "MSB_API_KEY"), "MSB_API_KEY", hint);
        }
        String home = env.get("MSB_HOME");
        Path dir = home != null && !home.isBlank() ? Path.of(home) : Path.of(env.getOrDefault("HOME", "."), ".msb");
        Path file = dir.resolve("api-key");
        return new Config(url, readKey(file), file.toString(), hint);
    }

    static URI parseUrl(String value) {
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw new CliException("MSB_API_URL: not a URL: " + e.getMessage());
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new CliException("MSB_API_URL: must be an http:// or https:// URL with a host, got " + value);
        }
        if (uri.getQuery() != null || uri.getFragment() != null) {
            throw new CliException("MSB_API_URL: must have no query or fragment, got " + value);
        }
        String s = uri.toString();
        return URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
    }

    private static String readKey(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(MAX_KEY_BYTES + 1);
            if (bytes.length > MAX_KEY_BYTES) {
                throw new CliException(file + ": an API key file must be at most " + MAX_KEY_BYTES + " bytes");
            }
            String key = new String(bytes, StandardCharsets.UTF_8).trim();
            return key.isEmpty() ? null : checkKey(key, file.toString());
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new CliException("cannot read the API key file " + file + ": " + e.getMessage());
        }
    }

    /** A key goes into an HTTP header: printable ASCII only, or the request would be malformed. */
    private static String checkKey(String key, String source) {
        if (key.length() > MAX_KEY_BYTES || !key.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new CliException(source + ": an API key must be printable ASCII without spaces, at most "
                + MAX_KEY_BYTES + " characters");
        }
        return key;
    }
}
