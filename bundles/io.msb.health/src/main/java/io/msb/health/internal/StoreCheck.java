package io.msb.health.internal;

import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import io.msb.api.LabelSelector;
import io.msb.api.store.SandboxStore;

/**
 * The store opens and answers: one real query (the first sandbox by name). The reference is optional so that a
 * store that is not registered shows as CRITICAL instead of hiding this check.
 */
@Component(service = HealthCheck.class, property = {HealthCheck.NAME + "=msb store", HealthCheck.TAGS + "=msb"})
public final class StoreCheck implements HealthCheck {
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile SandboxStore store;

    @Override
    public Result execute() {
        return assess(store);
    }

    static Result assess(SandboxStore store) {
        if (store == null) {
            return new Result(Result.Status.CRITICAL, "no SandboxStore service: io.msb.store is not active"
                    + " (its database did not open; see the server log)");
        }
        try {
            int rows = store.listSandboxes(LabelSelector.ALL, null, 1).size();
            return new Result(Result.Status.OK, "the store answers a query (" + (rows == 0 ? "no sandboxes yet" : "sandboxes listed") + ")");
        } catch (RuntimeException e) {
            return new Result(Result.Status.CRITICAL, "the store does not answer a query: " + e.getMessage());
        }
    }
}
