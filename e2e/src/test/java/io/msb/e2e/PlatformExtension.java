package io.msb.e2e;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Hands the test run's one {@link Platform} to test methods and lifecycle methods; JUnit closes it (removing every
 * sandbox and the temporary home) when the whole run ends, which a JVM shutdown hook in the forked test JVM did not.
 */
public final class PlatformExtension implements ParameterResolver {
    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Platform.class;
    }

    @Override
    public Platform resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return platform(context);
    }

    /** The test run's platform, opened by the first caller; for other extensions, such as {@link SharedSandbox}. */
    static Platform platform(ExtensionContext context) {
        Platform.requireHostTools();
        return context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(Closing.class, k -> new Closing(Platform.open(Platform.kernelCache())), Closing.class)
                .platform();
    }

    private record Closing(Platform platform) implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            platform.close();
        }
    }
}
