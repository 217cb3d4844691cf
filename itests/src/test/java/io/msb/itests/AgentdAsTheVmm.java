package io.msb.itests;

import static org.junit.Assume.assumeTrue;

import io.msb.api.PlatformInfo;
import io.msb.api.SandboxService;
import io.msb.api.spi.VmmBackend;
import io.msb.testing.AgentdProcessVmmForTests;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Hashtable;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Makes the real agentd, run as a host process, the runtime's VMM (decision 0010) for the tests that drive the
 * platform through HTTP: the binary the QEMU bundle carries is copied into the home, registered as a backend that
 * outranks QEMU, and configured as the runtime's default.
 */
final class AgentdAsTheVmm {
    private AgentdAsTheVmm() {
    }

    /** Registers it as {@code backend} and waits for the runtime to use it; skips the test without the binary. */
    static void install(BundleContext context, Path home, String backend) throws IOException {
        Path agentd = home.resolve("agentd");
        URL entry = Osgi.bundle(context, "io.msb.vmm.qemu").getEntry("io/msb/agentd/agentd");
        assumeTrue("needs the agentd binary inside io.msb.vmm.qemu (built by native/agentd)", entry != null);
        try (InputStream in = entry.openStream()) {
            Files.copy(in, agentd, StandardCopyOption.REPLACE_EXISTING);
        }
        assumeTrue("agentd must be executable here", agentd.toFile().setExecutable(true));
        context.registerService(VmmBackend.class, new AgentdProcessVmmForTests(backend, agentd),
                new Hashtable<>(Map.of(Constants.SERVICE_RANKING, 100)));
        Osgi.configure(Osgi.service(context, ConfigurationAdmin.class), MsbPlatform.RUNTIME_PID,
                Map.of("defaultBackend", backend));
        // a new default applies in place (decision 1707): both the router and the local runtime must have taken it
        Osgi.eventually("the runtime uses " + backend, () -> {
            PlatformInfo platform = Osgi.service(context, SandboxService.class).platform();
            return backend.equals(platform.defaultBackend()) && platform.backends().stream()
                    .anyMatch(b -> b.name().equals(backend) && b.selected());
        });
    }
}
