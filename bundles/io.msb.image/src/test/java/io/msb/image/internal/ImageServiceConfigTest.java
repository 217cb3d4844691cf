package io.msb.image.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.msb.api.InvalidConfigException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The metatype configuration becomes settings; bad values are reported by field and rule. */
class ImageServiceConfigTest {
    /** A config as Configuration Admin would hand it over: defaults, overridden by {@code values}. */
    static ImageServiceConfig config(Map<String, Object> values) {
        return (ImageServiceConfig) Proxy.newProxyInstance(ImageServiceConfig.class.getClassLoader(),
                new Class<?>[] {ImageServiceConfig.class}, (proxy, method, args) -> values.containsKey(method.getName())
                        ? values.get(method.getName()) : method.getDefaultValue());
    }

    @Test
    void convertsConfiguration(@org.junit.jupiter.api.io.TempDir Path home) {
        ImageSettings s = OciImageService.settings(config(Map.of("home", home.toString(),
                "insecureRegistries", new String[] {"reg.lan:5000"},
                "registryMirrors", new String[] {"docker.io=https://mirror.lan"},
                "useDockerConfig", false, "maxParallelDownloads", 2)));
        assertEquals(home, s.home());
        assertEquals(Set.of("reg.lan:5000"), s.insecureRegistries());
        assertEquals(Map.of("docker.io", "https://mirror.lan"), s.mirrors());
        assertEquals(null, s.dockerConfig());
        assertEquals(2, s.maxParallelDownloads());
        assertEquals("linux/amd64", s.platform());
    }

    @Test
    void rejectsBadValuesNamingTheField() {
        InvalidConfigException mirror = assertThrows(InvalidConfigException.class, () -> OciImageService.settings(
                config(Map.of("registryMirrors", new String[] {"docker.io=ftp://x"}))));
        assertEquals("registryMirrors", mirror.field());
        assertEquals("invalid config: registryMirrors entries must be registry=http(s)://host[:port], got 'docker.io=ftp://x'",
                mirror.getMessage());
        assertEquals("maxParallelDownloads", assertThrows(InvalidConfigException.class, () -> OciImageService.settings(
                config(Map.of("maxParallelDownloads", 0)))).field());
        assertEquals("platform", assertThrows(InvalidConfigException.class, () -> OciImageService.settings(
                config(Map.of("platform", "amd64")))).field());
    }
}
