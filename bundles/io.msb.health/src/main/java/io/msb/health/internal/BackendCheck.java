package io.msb.health.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.apache.felix.hc.api.ResultLog;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import io.msb.api.MsbHome;
import io.msb.api.spi.VmmBackend;

/**
 * A VMM backend can start a VM: OK with KVM, WARN under the TCG fallback (with why KVM is not used), CRITICAL when
 * no registered backend is available (with each one's reason). Asks only what the backends answer cheaply: no VM is
 * started here.
 */
@Component(service = HealthCheck.class, property = {HealthCheck.NAME + "=msb VMM backend", HealthCheck.TAGS + "=msb"})
public final class BackendCheck implements HealthCheck {
    static final Path KVM = Path.of("/dev/kvm");
    static final String PROBE_VERDICTS = "kernel/accel-probe.properties";

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    volatile List<VmmBackend> backends;

    @Override
    public Result execute() {
        List<VmmBackend> now = backends;
        return assess(now == null ? List.of() : now, KVM, MsbHome.resolve("").resolve(PROBE_VERDICTS));
    }

    /**
     * @param kvmDevice {@code /dev/kvm}
     * @param probeVerdicts where the QEMU backend records its KVM probes
     */
    static Result assess(List<VmmBackend> backends, Path kvmDevice, Path probeVerdicts) {
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
            ResultLog.Entry e = verdict(b, kvmDevice, probeVerdicts);
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

    private static ResultLog.Entry verdict(VmmBackend b, Path kvmDevice, Path probeVerdicts) {
        Optional<String> accel = b.acceleration();
        if (accel.isPresent() && accel.get().equals("kvm")) {
            return new ResultLog.Entry(Result.Status.OK, b.name() + " starts VMs with KVM");
        }
        Optional<String> noKvm = kvmUnusable(kvmDevice);
        if (noKvm.isEmpty() && b.name().equals("qemu")) {
            noKvm = failedProbe(probeVerdicts);
        }
        if (accel.isEmpty() && noKvm.isEmpty()) {
            return new ResultLog.Entry(Result.Status.OK, b.name() + " is available and " + kvmDevice
                    + " is usable (the first boot confirms KVM)");
        }
        String why = noKvm.orElse("accel=tcg is configured, or the KVM probe failed");
        return new ResultLog.Entry(Result.Status.WARN, b.name() + " starts VMs under TCG emulation (much slower): " + why);
    }

    /**
     * Why the QEMU backend's KVM probe failed, from the verdicts it keeps across restarts ("ok" or the reason, one
     * per QEMU binary and kernel): the backend API does not say why it fell back to TCG (decision 1881). Empty when
     * no probe ran yet or one passed.
     */
    static Optional<String> failedProbe(Path verdicts) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(verdicts)) {
            p.load(in);
        } catch (IOException e) {
            return Optional.empty();
        }
        if (p.isEmpty() || p.containsValue("ok")) {
            return Optional.empty();
        }
        String why = String.valueOf(p.values().iterator().next());
        return Optional.of("the KVM probe failed: " + (why.length() > 300 ? why.substring(0, 300) + "…" : why));
    }

    /** Why KVM cannot be used here, or empty if the device is there for this user. */
    static Optional<String> kvmUnusable(Path device) {
        if (!Files.exists(device)) {
            return Optional.of(device + " is missing (no hardware virtualisation on this host)");
        }
        if (!Files.isReadable(device) || !Files.isWritable(device)) {
            return Optional.of(device + " is not readable and writable by this user (add it to the kvm group)");
        }
        return Optional.empty();
    }
}
