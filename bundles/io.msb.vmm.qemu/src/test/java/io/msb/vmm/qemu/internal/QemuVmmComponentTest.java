package io.msb.vmm.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.msb.api.spi.VmmBackend;

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
}
