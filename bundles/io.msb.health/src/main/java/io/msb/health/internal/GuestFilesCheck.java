package io.msb.health.internal;

import java.util.List;

import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.apache.felix.hc.api.ResultLog;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import io.msb.api.spi.VmmBackend;
import io.msb.api.spi.VmmBackend.BootFile;

/**
 * The files a boot needs (guest kernel, agentd) are present, as each available backend reports them: a missing one is
 * CRITICAL naming its path, one the backend fetches at its first boot a WARN (decision 1887). Unavailable backends are
 * the VMM check's concern.
 */
@Component(service = HealthCheck.class, property = {HealthCheck.NAME + "=msb guest kernel and agentd",
    HealthCheck.TAGS + "=msb"})
public final class GuestFilesCheck implements HealthCheck {
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    volatile List<VmmBackend> backends;

    @Override
    public Result execute() {
        List<VmmBackend> now = backends;
        return assess(now == null ? List.of() : now);
    }

    static Result assess(List<VmmBackend> backends) {
        ResultLog log = new ResultLog();
        for (VmmBackend b : backends) {
            if (b.available()) {
                b.bootFiles().forEach(f -> log.add(entry(b.name(), f)));
            }
        }
        if (log.iterator().hasNext()) {
            return new Result(log);
        }
        return new Result(Result.Status.OK, "no available VMM backend reports the files its boots need");
    }

    private static ResultLog.Entry entry(String backend, BootFile f) {
        String detail = f.detail().isBlank() ? "" : " (" + f.detail() + ")";
        return switch (f.state()) {
            case PRESENT -> new ResultLog.Entry(Result.Status.OK, backend + " " + f.what() + ": " + f.location() + detail);
            case FETCHED_AT_FIRST_BOOT -> new ResultLog.Entry(Result.Status.WARN, backend + ": no " + f.what() + " in "
                    + f.location() + " yet: " + f.detail());
            case MISSING -> new ResultLog.Entry(Result.Status.CRITICAL, backend + " " + f.what()
                    + " is missing or unreadable: " + f.location() + detail);
        };
    }
}
