package io.msb.runtime.internal;

import io.msb.api.store.SandboxStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicLong;

/** Wraps a real store (the H2 one in the tests) and counts the calls made to it; everything else is the store's. */
final class CountingStoreWrapper {
    private final AtomicLong calls = new AtomicLong();
    private final SandboxStore store;

    CountingStoreWrapper(SandboxStore real) {
        this.store = (SandboxStore) Proxy.newProxyInstance(SandboxStore.class.getClassLoader(),
                new Class<?>[] {SandboxStore.class}, (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return method.invoke(real, args);
                    }
                    calls.incrementAndGet();
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    SandboxStore store() {
        return store;
    }

    long calls() {
        return calls.get();
    }
}
