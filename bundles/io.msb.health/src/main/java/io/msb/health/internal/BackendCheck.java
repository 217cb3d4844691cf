package io.msb.health.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.apache.felix.hc.api.ResultLog;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import io.msb.api.spi.VmmBackend;

/**
 * A VMM backend can start a VM: OK with KVM, WARN under the TCG fallback (with why KVM is not used), CRITICAL when
 * no registered backend is available (with each one's reason). Asks only what the backends answer cheaply: no VM is
 * started here, and why KVM is not used is the backend's answer (decision 1886).
 */
@Component(service = HealthCheck.class, property = {HealthCheck.NAME + "=msb VMM backend", HealthCheck.TAGS + "=msb"})
public final class BackendCheck implements HealthCheck {
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    volatile List<VmmBackend> backends;

    @Override
    public Result execute() {
        List<VmmBackend> now = backends;
        return assess(now == null ? List.of() : now);
    }

    static Result assess(List<VmmBackend> backends) {
        ResultLog log = new ResultLog();
        if (backends.isEmpty()) {
            log.add(new ResultLog.Entry(Result.Status.CRITICAL,
                    "no VMM backend is registered: io.msb.vmm.qemu (or another backend) is not active"));
            return new Result(log);
        }
        List<String> unavailable = new ArrayList<>();
        ResultLog.Entry best = null;
        for (VmmBackend b : backends) {
            if (!b.available()) {
                unavailable.add(b.name() + ": " + b.unavailableReason().orElse("unavailable"));
                continue;
            }
            ResultLog.Entry e = verdict(b);
            if (best == null || e.getStatus().ordinal() < best.getStatus().ordinal()) {
                best = e;
            }
        }
        if (best == null) {
            log.add(new ResultLog.Entry(Result.Status.CRITICAL,
                    "no VMM backend can start a VM: " + String.join("; ", unavailable)));
            return new Result(log);
        }
        log.add(best);
        for (String u : unavailable) {
            log.add(new ResultLog.Entry(u, true));
        }
        return new Result(log);
    }

    private static ResultLog.Entry verdict(VmmBackend b) {
        Optional<String> why = b.accelerationReason();
        if (why.isPresent()) {
            return new ResultLog.Entry(Result.Status.WARN, b.name() + " starts VMs under TCG emulation (much slower): "
                    + why.get());
        }
        Optional<String> accel = b.acceleration();
        if (accel.isEmpty()) {
            return new ResultLog.Entry(Result.Status.OK, b.name() + " is available and hardware acceleration is usable"
                    + " (the first boot confirms KVM)");
        }
        return accel.get().equals("kvm") ? new ResultLog.Entry(Result.Status.OK, b.name() + " starts VMs with KVM")
                : new ResultLog.Entry(Result.Status.WARN, b.name() + " starts VMs with " + accel.get());
    }
}
