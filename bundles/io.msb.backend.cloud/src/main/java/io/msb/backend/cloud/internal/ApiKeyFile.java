package io.msb.backend.cloud.internal;

import io.msb.api.spi.DaemonThreads;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Map;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Where the remote's API key is kept (decision 1721): a file only its owner can read, by default
 * {@code <home>/backends/<name>/api-key}. A key entered in the configuration ({@code .apiKey}, a password field in
 * the Web Console) is written there and then removed from the configuration, so that it is in no configuration
 * file, service property, console page or log.
 */
record ApiKeyFile(Path file) {
    static final String PROPERTY = ".apiKey";
    private static final System.Logger LOG = System.getLogger(ApiKeyFile.class.getName());
    private static final int MAX_KEY_CHARS = 512;

    static ApiKeyFile resolve(CloudBackendConfig config, Path home) {
        String configured = config.apiKeyFile();
        return new ApiKeyFile(configured == null || configured.isBlank()
                ? home.resolve("backends").resolve(CloudBackend.name(config.msb_backend())).resolve("api-key")
                : Path.of(configured).toAbsolutePath());
    }

    /**
     * The key: the one entered in the configuration (then moved to the file and removed from the configuration),
     * else the file's.
     */
    String key(CloudBackendConfig config, Map<String, Object> properties, ConfigurationAdmin configurations) {
        String entered = config._apiKey() == null ? "" : config._apiKey().strip();
        if (!entered.isEmpty()) {
            write(check(entered, PROPERTY));
            Object pid = properties.get("service.pid");
            if (pid instanceof String servicePid && configurations != null) {
                // after this activation: the change reactivates the component, which then reads the file
                DaemonThreads.start("msb-backend-key-move", () -> forget(configurations, servicePid));
            }
            return entered;
        }
        return read();
    }

    String read() {
        try {
            if (!Files.isRegularFile(file)) {
                throw new IllegalStateException("no API key: enter it as " + PROPERTY + " in the configuration, or"
                        + " write it to " + file + " (mode 0600)");
            }
            if (Files.size(file) > MAX_KEY_CHARS) {
                throw new IllegalStateException(file + ": an API key file must be at most " + MAX_KEY_CHARS + " bytes");
            }
            return check(Files.readString(file, StandardCharsets.UTF_8).strip(), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the API key file " + file, e);
        }
    }

    void write(String key) {
        try {
            PrivateFiles.replace(file, (key + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the API key file " + file, e);
        }
    }

    private static String check(String key, String where) {
        if (key.isEmpty() || key.length() > MAX_KEY_CHARS || !key.matches("[\\x21-\\x7e]+")) {
            throw new IllegalStateException(where + ": an API key must be 1-" + MAX_KEY_CHARS
                    + " printable ASCII characters without spaces");
        }
        return key;
    }

    private static void forget(ConfigurationAdmin configurations, String servicePid) {
        try {
            Configuration[] found = configurations.listConfigurations("(service.pid=" + servicePid + ")");
            for (Configuration c : found == null ? new Configuration[0] : found) {
                Dictionary<String, Object> properties = c.getProperties();
                if (properties != null && properties.remove(PROPERTY) != null) {
                    c.update(properties);
                    LOG.log(Level.INFO, "the API key of {0} was moved to its key file", servicePid);
                }
            }
        } catch (IOException | org.osgi.framework.InvalidSyntaxException | RuntimeException e) {
            LOG.log(Level.WARNING, "cannot remove the API key from the configuration {0}: {1}", servicePid,
                    e.getClass().getSimpleName());
        }
    }
}
