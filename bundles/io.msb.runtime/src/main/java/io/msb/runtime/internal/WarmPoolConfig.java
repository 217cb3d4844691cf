package io.msb.runtime.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "msb warm pool",
        description = "Sandboxes of one image and machine kept restored and paused, so that a create of that kind"
                + " takes one instead of booting (decision 1260). One configuration per pool.")
public @interface WarmPoolConfig {
    @AttributeDefinition(name = "Image", description = "Image reference the pool serves, as creates name it"
            + " (e.g. builtin:busybox, python:3.12).")
    String image();

    @AttributeDefinition(name = "vCPUs", description = "vCPUs of the sandboxes it serves; 0: the runtime's default.",
            min = "0")
    int cpus() default 0;

    @AttributeDefinition(name = "Memory (MiB)", description = "Guest memory of the sandboxes it serves; 0: the"
            + " runtime's default.", min = "0")
    int memoryMib() default 0;

    @AttributeDefinition(name = "Network", description = "Whether the sandboxes it serves have a network (any"
            + " policy; it is applied when one is taken).")
    boolean network() default true;

    @AttributeDefinition(name = "Detached", description = "Whether the sandboxes it serves outlive the process that"
            + " created them (the HTTP server creates detached ones).")
    boolean detached() default true;

    @AttributeDefinition(name = "Size", description = "Sandboxes kept ready.", min = "1", max = "64")
    int size() default 2;

    @AttributeDefinition(name = "Most memory (MiB)", description = "Guest memory the ready sandboxes may hold in all;"
            + " the size is cut to fit.", min = "64")
    int maxMemoryMib() default 4096;
}
