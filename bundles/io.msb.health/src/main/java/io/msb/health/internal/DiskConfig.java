package io.msb.health.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(id = DiskCheck.PID, name = "msb health: free disk",
        description = "Free space under $MSB_HOME (images, root disks, VM state) below which the health check warns or fails.")
@interface DiskConfig {
    @AttributeDefinition(name = "WARN below (MiB)", min = "0")
    long warnBelowMib() default 2048;

    @AttributeDefinition(name = "CRITICAL below (MiB)", min = "0", description = "At most the WARN floor.")
    long criticalBelowMib() default 512;

    @AttributeDefinition(name = "Home", required = false, description = "Empty = $MSB_HOME, msb.home or ~/.msb.")
    String home() default "";
}
