package io.msb.volume.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "msb volumes",
        description = "Named volumes under <home>/volumes: directories shared into sandboxes, or ext4 disk images.")
public @interface VolumeConfig {
    String PID = "io.msb.volume";

    @AttributeDefinition(name = "Home directory",
            description = "Where volumes/ lives; empty means $MSB_HOME, the msb.home property, or ~/.msb.")
    String home() default "";

    @AttributeDefinition(name = "mkfs.ext4",
            description = "The program that formats a disk volume's image (e2fsprogs); a bare name is looked up in "
                    + "PATH, /usr/sbin and /sbin.")
    String mkfsExt4() default "mkfs.ext4";

    @AttributeDefinition(name = "Largest disk volume (MiB)",
            description = "The most capacity one disk volume may ask for. Images are sparse: only written blocks "
                    + "take space.", min = "1")
    int maxCapacityMib() default 1 << 20;
}
