package io.msb.runtime.internal;

import io.msb.api.AlreadyExistsException;
import io.msb.api.LabelSelector;
import io.msb.api.NotFoundException;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxSpec;
import io.msb.api.SandboxStatus;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.spi.SandboxBackend;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;

/**
 * A boundary fake of a remote sandbox backend (what io.msb.backend.cloud is against a remote server, which cannot run
 * in a unit test): sandboxes are records in memory, every call by name is noted in {@link #calls()}.
 */
final class InMemorySandboxBackendForTests implements SandboxBackend {
    private final String name;
    private final Map<String, SandboxInfo> sandboxes = new TreeMap<>();
    private final List<String> calls = new ArrayList<>();
    volatile boolean failing;

    InMemorySandboxBackendForTests(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    /** What was called, as {@code verb name}, in order. */
    synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    private synchronized SandboxInfo noted(String verb, String sandbox) {
        calls.add(verb + " " + sandbox);
        SandboxInfo info = sandboxes.get(sandbox);
        if (info == null) {
            throw new NotFoundException("sandbox", sandbox);
        }
        return info;
    }

    private synchronized SandboxInfo status(String sandbox, SandboxStatus status) {
        SandboxInfo info = sandboxes.get(sandbox);
        SandboxInfo changed = new SandboxInfo(info.id(), info.name(), status, info.spec(), info.createdAt(),
                Instant.now(), info.currentRun(), info.addresses());
        sandboxes.put(sandbox, changed);
        return changed;
    }

    private void failIfAsked() {
        if (failing) {
            throw new IllegalStateException("backend " + name + " cannot be reached");
        }
    }

    @Override
    public synchronized SandboxHandle create(SandboxSpec spec) {
        calls.add("create " + spec.name());
        if (sandboxes.containsKey(spec.name())) {
            throw new AlreadyExistsException("sandbox", spec.name());
        }
        Instant now = Instant.now();
        sandboxes.put(spec.name(), new SandboxInfo(UUID.randomUUID(), spec.name(), SandboxStatus.RUNNING, spec, now,
                now, Optional.empty(), Optional.empty()));
        return handle(spec.name());
    }

    @Override
    public SandboxHandle start(String sandbox) {
        noted("start", sandbox);
        status(sandbox, SandboxStatus.RUNNING);
        return handle(sandbox);
    }

    @Override
    public void stop(String sandbox, Duration grace) {
        noted("stop", sandbox);
        status(sandbox, SandboxStatus.STOPPED);
    }

    @Override
    public void kill(String sandbox) {
        noted("kill", sandbox);
        status(sandbox, SandboxStatus.STOPPED);
    }

    @Override
    public void drain(String sandbox) {
        noted("drain", sandbox);
    }

    @Override
    public SandboxInfo waitFor(String sandbox, Duration timeout) {
        return noted("waitFor", sandbox);
    }

    @Override
    public synchronized void remove(String sandbox, boolean force) {
        noted("remove", sandbox);
        sandboxes.remove(sandbox);
    }

    @Override
    public synchronized List<SandboxInfo> list(LabelSelector selector) {
        failIfAsked();
        return sandboxes.values().stream().filter(i -> selector.matches(i.spec().labels())).toList();
    }

    @Override
    public synchronized List<SandboxInfo> list(LabelSelector selector, String afterName, int limit) {
        failIfAsked();
        return sandboxes.values().stream().filter(i -> afterName == null || i.name().compareTo(afterName) > 0)
                .filter(i -> selector.matches(i.spec().labels())).limit(limit).toList();
    }

    @Override
    public synchronized Optional<SandboxInfo> get(String sandbox) {
        failIfAsked();
        return Optional.ofNullable(sandboxes.get(sandbox));
    }

    @Override
    public synchronized Optional<SandboxInfo> getById(UUID id) {
        failIfAsked();
        return sandboxes.values().stream().filter(i -> id.equals(i.id())).findFirst();
    }

    /** A handle that knows its name only: the router hands out what the backend gives. */
    @Override
    public SandboxHandle handle(String sandbox) {
        noted("handle", sandbox);
        return (SandboxHandle) Proxy.newProxyInstance(SandboxHandle.class.getClassLoader(),
                new Class<?>[] {SandboxHandle.class}, (proxy, method, args) -> {
                    if (method.getName().equals("name")) {
                        return sandbox;
                    }
                    throw new UnsupportedOperationException(method.getName() + " on the in-memory backend " + name);
                });
    }

    @Override
    public <T> T withSandbox(UUID id, Function<String, T> action) {
        String sandbox = getById(id).map(SandboxInfo::name)
                .orElseThrow(() -> new NotFoundException("sandbox", id.toString()));
        noted("withSandbox", sandbox);
        return action.apply(sandbox);
    }

    @Override
    public SandboxInfo updateNetworkPolicy(String sandbox, NetworkPolicy policy) {
        return noted("updateNetworkPolicy", sandbox);
    }
}
