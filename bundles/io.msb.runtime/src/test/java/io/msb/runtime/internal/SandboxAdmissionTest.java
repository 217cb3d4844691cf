package io.msb.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import io.msb.api.MsbException;
import io.msb.api.SandboxSpec;
import io.msb.api.spi.Admission;
import io.msb.api.spi.SandboxAdmission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The router consults admission policies (implemented here, as a third party would) before any backend creates: two
 * fake backends stand for the local runtime and a remote one, so that what reached a backend is visible.
 */
class SandboxAdmissionTest {
    private final InMemorySandboxBackendForTests local = new InMemorySandboxBackendForTests("local");
    private final InMemorySandboxBackendForTests cloud = new InMemorySandboxBackendForTests("cloud");
    private final List<SandboxAdmission> policies = new CopyOnWriteArrayList<>();
    private final List<String> seen = new ArrayList<>();
    private final SandboxRouter router = new SandboxRouter(local, () -> List.of(cloud), () -> List.of("qemu"), "cloud",
            () -> List.copyOf(policies));

    /** A policy named {@code name} that notes each spec it sees and decides by {@code decide}. */
    private SandboxAdmission policy(String name, Function<SandboxSpec, Admission> decide) {
        return new SandboxAdmission() {
            public String name() {
                return name;
            }

            public Admission admit(SandboxSpec spec) {
                seen.add(name + " " + new TreeMap<>(spec.labels())); // sorted: the spec's map has no order
                return decide.apply(spec);
            }
        };
    }

    private static SandboxSpec spec(String name, String image) {
        return SandboxSpec.builder(name).image(image).build();
    }

    private void nothingCreated(String name) {
        assertTrue(local.get(name).isEmpty() && cloud.get(name).isEmpty(), "no backend has " + name);
        assertEquals(List.of(), cloud.calls().stream().filter(c -> c.startsWith("create")).toList());
    }

    @Test
    void aRefusalFailsTheCreateNamingThePolicyAndTheFieldAndNothingIsCreated() {
        policies.add(policy("allowlist", s -> Admission.refuse("image", "not in the allow-list")));
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> router.create(spec("refused", "alpine")));
        assertEquals("image", e.field());
        assertEquals("invalid config: image: refused by admission policy allowlist: not in the allow-list",
                e.getMessage());
        nothingCreated("refused");
    }

    @Test
    void policiesAmendInTurnEachSeeingTheOnesBeforeAndTheBackendCreatesTheLastAmendment() {
        policies.add(policy("owner", s -> Admission.admit(s.toBuilder().label("owner", "team-a").build())));
        policies.add(policy("cost", s -> Admission.admit(s.toBuilder().label("cost-center", "42").build())));
        router.create(SandboxSpec.builder("amended").image("alpine").label("mine", "yes").build());
        assertEquals(List.of("owner {mine=yes}", "cost {mine=yes, owner=team-a}"), seen);
        assertEquals(Map.of("mine", "yes", "owner", "team-a", "cost-center", "42"),
                cloud.get("amended").orElseThrow().spec().labels());
    }

    @Test
    void aLaterRefusalUndoesNothingBecauseNothingWasWritten() {
        policies.add(policy("owner", s -> Admission.admit(s.toBuilder().label("owner", "team-a").build())));
        policies.add(policy("never", s -> Admission.refuse("name", "no sandboxes today")));
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> router.create(spec("x", "alpine")));
        assertTrue(e.getMessage().contains("admission policy never"), e.getMessage());
        nothingCreated("x");
    }

    @Test
    void anAmendmentIsValidatedAsTheUsersInputIsAndMayNotRename() {
        policies.add(policy("sneaky", s -> Admission.admit(s.toBuilder().label("sandbox.owner", "me").build())));
        InvalidConfigException reserved = assertThrows(InvalidConfigException.class,
                () -> router.create(spec("reserved", "alpine")));
        assertEquals("labels", reserved.field());
        assertEquals("invalid config: admission policy sneaky made the spec invalid: "
                + "label key 'sandbox.owner' uses reserved prefix 'sandbox.'", reserved.getMessage());
        nothingCreated("reserved");

        policies.clear();
        policies.add(policy("renamer", s -> Admission.admit(SandboxSpec.builder("other").image("alpine").build())));
        InvalidConfigException renamed = assertThrows(InvalidConfigException.class,
                () -> router.create(spec("renamed", "alpine")));
        assertEquals("name", renamed.field());
        assertTrue(renamed.getMessage().contains("admission policy renamer may not rename"), renamed.getMessage());
        nothingCreated("renamed");
        nothingCreated("other");
    }

    @Test
    void aPolicyThatFailsFailsTheCreateClosed() {
        policies.add(policy("broken", s -> {
            throw new IllegalStateException("config missing");
        }));
        MsbException e = assertThrows(MsbException.class, () -> router.create(spec("unjudged", "alpine")));
        assertEquals("admission policy broken failed: java.lang.IllegalStateException: config missing",
                e.getMessage());
        nothingCreated("unjudged");

        policies.set(0, policy("undecided", s -> null));
        assertTrue(assertThrows(MsbException.class, () -> router.create(spec("unjudged", "alpine"))).getMessage()
                .contains("admission policy undecided failed"));
        nothingCreated("unjudged");
    }

    @Test
    void eachCreateAsksThePoliciesRegisteredThen() {
        router.create(spec("before", "alpine"));
        policies.add(policy("allowlist", s -> Admission.refuse("image", "no")));
        assertThrows(InvalidConfigException.class, () -> router.create(spec("during", "alpine")));
        policies.clear();
        router.create(spec("after", "alpine"));
        assertEquals(List.of("create before", "create after"),
                cloud.calls().stream().filter(c -> c.startsWith("create")).toList());
    }

    @Test
    void servicesAreAskedHighestRankingFirstThenOldestFirst() {
        SandboxAdmission a = policy("a", Admission::admit);
        SandboxAdmission b = policy("b", Admission::admit);
        SandboxAdmission c = policy("c", Admission::admit);
        SandboxAdmission d = policy("d", Admission::admit);
        List<SandboxAdmission> ordered = Admissions.byRanking(List.of(
                Map.entry(Map.of("service.id", 7L), a),
                Map.entry(Map.of("service.id", 9L, "service.ranking", 10), b),
                Map.entry(Map.of("service.id", 3L), c),
                Map.entry(Map.of("service.id", 5L, "service.ranking", -1), d)));
        assertEquals(List.of(b, c, a, d), ordered);
    }
}
