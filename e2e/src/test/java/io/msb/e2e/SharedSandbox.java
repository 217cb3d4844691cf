package io.msb.e2e;

import io.msb.api.SandboxHandle;
import java.util.function.Function;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One sandbox shared by the tests of a class (each leaves it as found): made from the test run's {@link Platform}
 * before the first test, removed after the last, and handed to test methods as their {@link SandboxHandle}
 * parameter. Register it on a static field with {@code @RegisterExtension}.
 */
final class SharedSandbox implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
    private final Function<Platform, SandboxHandle> create;
    private Platform platform;
    private SandboxHandle box;

    SharedSandbox(Function<Platform, SandboxHandle> create) {
        this.create = create;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        platform = PlatformExtension.platform(context);
        box = create.apply(platform);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (box != null) {
            platform.runtime().remove(box.name(), true);
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == SandboxHandle.class;
    }

    @Override
    public SandboxHandle resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return box;
    }
}
