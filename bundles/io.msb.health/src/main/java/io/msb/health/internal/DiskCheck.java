package io.msb.health.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.Designate;

import io.msb.api.MsbHome;

/** Free disk under {@code $MSB_HOME} above configurable floors (decision 1883). */
@Component(configurationPid = DiskCheck.PID, service = HealthCheck.class,
        property = {HealthCheck.NAME + "=msb free disk", HealthCheck.TAGS + "=msb"})
@Designate(ocd = DiskConfig.class)
public final class DiskCheck implements HealthCheck {
    static final String PID = "io.msb.health.disk";
    private static final long MIB = 1024 * 1024;

    private final Path home;
    private final long warnBelowMib;
    private final long criticalBelowMib;

    @Activate
    public DiskCheck(DiskConfig config) {
        this(MsbHome.resolve(config.home()), config.warnBelowMib(), config.criticalBelowMib());
    }

    DiskCheck(Path home, long warnBelowMib, long criticalBelowMib) {
        this.home = home;
        this.warnBelowMib = warnBelowMib;
        this.criticalBelowMib = criticalBelowMib;
    }

    @Override
    public Result execute() {
        if (criticalBelowMib < 0 || warnBelowMib < criticalBelowMib) {
            return new Result(Result.Status.CRITICAL, PID + ": criticalBelowMib (" + criticalBelowMib
                    + ") must be at least 0 and not above warnBelowMib (" + warnBelowMib + ")");
        }
        Path existing = home;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent(); // a home not created yet lives on its parent's file system
        }
        try {
            long free = Files.getFileStore(existing == null ? home.getRoot() : existing).getUsableSpace() / MIB;
            String what = free + " MiB free under " + home;
            if (free < criticalBelowMib) {
                return new Result(Result.Status.CRITICAL, what + ", below the floor of " + criticalBelowMib + " MiB");
            }
            if (free < warnBelowMib) {
                return new Result(Result.Status.WARN, what + ", below " + warnBelowMib + " MiB");
            }
            return new Result(Result.Status.OK, what + " (WARN below " + warnBelowMib + " MiB)");
        } catch (IOException e) {
            return new Result(Result.Status.CRITICAL, "cannot read the free space under " + home + ": " + e.getMessage());
        }
    }
}
