package org.example.msb.allowlist;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.msb.api.RootfsSource;
import io.msb.api.SandboxSpec;
import io.msb.api.spi.Admission;
import java.lang.annotation.Annotation;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ImageAllowlistTest {
    /** The configuration as DS would give it. */
    private static AllowlistConfig config(String owner, String... prefixes) {
        return new AllowlistConfig() {
            public String[] allowedImagePrefixes() {
                return prefixes;
            }

            public String ownerLabelKey() {
                return "owner";
            }

            public String ownerLabelValue() {
                return owner;
            }

            public Class<? extends Annotation> annotationType() {
                return AllowlistConfig.class;
            }
        };
    }

    @Test
    void anImageFromAnAllowedPrefixIsAdmittedWithTheOwnerLabelReplacingTheUsers() {
        ImageAllowlist policy = new ImageAllowlist(config("team-a", "builtin:", " docker.io/library/ "));
        SandboxSpec asked = SandboxSpec.builder("ok").image("alpine").label("owner", "me").label("x", "1").build();
        Admission.Admit admitted = (Admission.Admit) policy.admit(asked);
        assertEquals(Map.of("owner", "team-a", "x", "1"), admitted.spec().labels());
        assertEquals(asked.rootfs(), admitted.spec().rootfs());
    }

    @Test
    void anImageOutsideTheListIsRefusedNamingItAndTheList() {
        ImageAllowlist policy = new ImageAllowlist(config("team-a", "builtin:"));
        assertEquals(Admission.refuse("image", "docker.io/library/alpine:latest is not in the allow-list (allowed"
                + " prefixes: builtin:)"), policy.admit(SandboxSpec.builder("no").image("alpine").build()));
        assertEquals("image", ((Admission.Refuse) policy.admit(SandboxSpec.builder("dir")
                .rootfs(new RootfsSource.HostDirectory(Path.of("/srv"))).build())).field());
    }

    @Test
    void aNewConfigurationAppliesToTheNextCreateAndNoOwnerMeansNoLabel() {
        ImageAllowlist policy = new ImageAllowlist(config("team-a", "builtin:"));
        SandboxSpec alpine = SandboxSpec.builder("a").image("alpine").build();
        policy.modified(config("", "docker.io/"));
        assertEquals(Admission.admit(alpine), policy.admit(alpine));
    }
}
