package org.example.msb.allowlist;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** What the policy allows and whose sandboxes they are (PID {@value #PID}, editable in the Web Console). */
@ObjectClassDefinition(name = "msb example: image allow-list",
        description = "Refuses sandboxes whose image is outside the allow-list and labels every sandbox with its owner")
public @interface AllowlistConfig {
    String PID = "org.example.msb.allowlist";

    @AttributeDefinition(name = "Allowed image prefixes", description = "A sandbox's image, normalised (alpine is"
            + " docker.io/library/alpine:latest), must start with one of these; any other rootfs (a host directory,"
            + " a disk image) is refused")
    String[] allowedImagePrefixes() default { "builtin:", "docker.io/library/" };

    @AttributeDefinition(name = "Owner label key", description = "The label every admitted sandbox gets")
    String ownerLabelKey() default "owner";

    @AttributeDefinition(name = "Owner label value", description = "Its value, replacing one the user gave;"
            + " empty: no label")
    String ownerLabelValue() default "platform-team";
}
