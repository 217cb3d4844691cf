package io.msb.vmm.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.msb.api.InvalidConfigException;
import io.msb.api.spi.VmmBackend;
import org.junit.jupiter.api.io.TempDir;

class QemuVmmComponentTest {
    /** The service is the component: an answer QemuVmm gives but the component does not forward is lost. */
    @Test
    void theComponentForwardsEveryBackendMethodQemuVmmImplements() {
        List<String> missing = Arrays.stream(VmmBackend.class.getMethods())
                .filter(m -> declares(QemuVmm.class, m) && !declares(QemuVmmComponent.class, m))
                .map(Method::getName).toList();
        assertEquals(List.of(), missing);
    }

    private static boolean declares(Class<?> c, Method m) {
        try {
            c.getDeclaredMethod(m.getName(), m.getParameterTypes());
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    @TempDir
    Path home;

    /** A QemuConfig as SCR makes it: the attributes' defaults, {@code home} and {@code values} over them. */
    private QemuConfig config(Map<String, String> values) {
        return (QemuConfig) Proxy.newProxyInstance(QemuConfig.class.getClassLoader(), new Class<?>[] {QemuConfig.class},
                (proxy, m, args) -> m.getName().equals("home") ? home.toString()
                        : values.containsKey(m.getName()) ? values.get(m.getName()) : m.getDefaultValue());
    }

    @Test
    void aBadGuestKernelOrKernelBuildIsRefusedNamingTheAttribute() {
        InvalidConfigException build = assertThrows(InvalidConfigException.class,
                () -> new QemuVmmComponent(config(Map.of("kernelBuild", "sometimes"))));
        assertTrue(build.getMessage().contains("kernelBuild"), build.getMessage());
        InvalidConfigException choice = assertThrows(InvalidConfigException.class,
                () -> new QemuVmmComponent(config(Map.of("guestKernel", "fedora", "kernelBuild", "manual"))));
        assertTrue(choice.getMessage().contains("guestKernel"), choice.getMessage());
    }
}
