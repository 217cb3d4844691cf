package io.msb.health.internal;

import java.io.IOException;
import java.net.URL;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.StreamSupport;

import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.apache.felix.hc.api.ResultLog;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import io.msb.api.MsbHome;
import io.msb.api.spi.VmmBackend;

/**
 * The guest kernel and agentd the QEMU backend boots are present. They follow from the backend's configuration, which
 * DS publishes as its service's properties ({@code kernel}, {@code agentd}, {@code home}): a configured file, else
 * the Debian cloud kernel cached under {@code $MSB_HOME/kernel} and the agentd embedded in the backend's bundle
 * (decision 1882).
 */
@Component(service = HealthCheck.class, property = {HealthCheck.NAME + "=msb guest kernel and agentd",
    HealthCheck.TAGS + "=msb"})
public final class GuestFilesCheck implements HealthCheck {
    /** Where the QEMU backend keeps its embedded agent binary. */
    static final String AGENTD_RESOURCE = "io/msb/agentd/agentd";

    @Reference(service = VmmBackend.class, target = "(name=qemu)", cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC)
    volatile ServiceReference<VmmBackend> qemu;

    @Override
    public Result execute() {
        ServiceReference<VmmBackend> ref = qemu;
        if (ref == null) {
            return new Result(Result.Status.CRITICAL, "the qemu VMM backend is not registered (io.msb.vmm.qemu)");
        }
        return assess(property(ref, "kernel"), property(ref, "agentd"), MsbHome.resolve(property(ref, "home")),
                ref.getBundle()::getEntry);
    }

    private static String property(ServiceReference<?> ref, String key) {
        Object v = ref.getProperty(key);
        return v == null ? "" : v.toString();
    }

    /**
     * @param kernel the configured kernel image, or blank for Debian's under {@code home/kernel}
     * @param agentd the configured agent binary, or blank for the backend's embedded one
     * @param resources the backend bundle's entries
     */
    static Result assess(String kernel, String agentd, Path home, Function<String, URL> resources) {
        ResultLog log = new ResultLog();
        log.add(kernel.isBlank() ? cachedKernel(home.resolve("kernel"))
                : file("guest kernel", Path.of(kernel.trim()).toAbsolutePath(), "kernel in io.msb.vmm.qemu"));
        if (!agentd.isBlank()) {
            log.add(file("agentd", Path.of(agentd.trim()).toAbsolutePath(), "agentd in io.msb.vmm.qemu"));
        } else if (resources.apply(AGENTD_RESOURCE) == null) {
            log.add(new ResultLog.Entry(Result.Status.CRITICAL, "agentd is missing: the qemu backend's bundle has no "
                    + AGENTD_RESOURCE + " (build native/agentd, or configure agentd in io.msb.vmm.qemu)"));
        } else {
            log.add(new ResultLog.Entry(Result.Status.OK, "agentd: embedded in the qemu backend (" + AGENTD_RESOURCE + ")"));
        }
        return new Result(log);
    }

    private static ResultLog.Entry file(String what, Path path, String setting) {
        if (Files.isRegularFile(path) && Files.isReadable(path)) {
            return new ResultLog.Entry(Result.Status.OK, what + ": " + path);
        }
        return new ResultLog.Entry(Result.Status.CRITICAL, what + " is missing or unreadable: " + path + " (" + setting + ")");
    }

    /** The newest complete fetch, as the backend picks it; none yet is a WARN: the first boot fetches one. */
    private static ResultLog.Entry cachedKernel(Path cache) {
        Optional<Path> newest = newestComplete(cache);
        if (newest.isEmpty()) {
            return new ResultLog.Entry(Result.Status.WARN, "no guest kernel in " + cache + " yet: the first sandbox"
                    + " fetches Debian's cloud kernel there (native/guest/fetch-kernel.sh)");
        }
        // linux-image-<release>_<package version>/boot/vmlinuz-<release>
        String name = newest.get().getFileName().toString().substring("linux-image-".length());
        String release = name.contains("_") ? name.substring(0, name.indexOf('_')) : name;
        return file("guest kernel", newest.get().resolve("boot").resolve("vmlinuz-" + release),
                "remove " + newest.get() + " to have it fetched again");
    }

    private static Optional<Path> newestComplete(Path cache) {
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(cache, "linux-image-*")) {
            return StreamSupport.stream(dirs.spliterator(), false)
                    .filter(d -> Files.isRegularFile(d.resolve(".complete")))
                    .max(Comparator.comparing(d -> d.toFile().lastModified()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
