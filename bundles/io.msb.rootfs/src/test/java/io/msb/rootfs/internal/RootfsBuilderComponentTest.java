package io.msb.rootfs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The component reads its configuration: home and the default upper size. */
class RootfsBuilderComponentTest {
    @TempDir
    Path home;

    @Test
    void configurationReachesTheBuilder() throws Exception {
        Tools.require("mke2fs");
        RootfsBuilderComponent.Config config = new RootfsBuilderComponent.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return RootfsBuilderComponent.Config.class;
            }

            @Override
            public String home() {
                return home.toString();
            }

            @Override
            public int defaultUpperSizeMib() {
                return 32;
            }

            @Override
            public String mke2fsPath() {
                return "mke2fs";
            }

            @Override
            public String debugfsPath() {
                return "debugfs";
            }

            @Override
            public int buildThreads() {
                return 0;
            }

            @Override
            public int tailBudgetMib() {
                return 1;
            }
        };
        RootfsBuilderComponent c = new RootfsBuilderComponent(config);
        Path upper = home.resolve("sandboxes/x/upper.ext4");
        c.createUpper(upper, 0);
        assertEquals(32L << 20, Files.size(upper));
    }

    /** A default method left to the interface would silently lose what the builder does better (overlap). */
    @Test
    void everyMethodIsDelegated() throws Exception {
        for (var m : io.msb.api.spi.RootfsBuilder.class.getMethods()) {
            assertEquals(RootfsBuilderComponent.class,
                    RootfsBuilderComponent.class.getMethod(m.getName(), m.getParameterTypes()).getDeclaringClass(), m.toString());
        }
    }
}
