package io.msb.runtime.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "msb runtime",
        description = "Sandbox lifecycle: where state lives and the defaults of new sandboxes.")
public @interface RuntimeConfig {
    String PID = "io.msb.runtime";

    @AttributeDefinition(name = "Home directory",
            description = "State directory; empty means $MSB_HOME, the msb.home property, or ~/.msb.")
    String home() default "";

    @AttributeDefinition(name = "Default vCPUs", description = "vCPUs of sandboxes that do not ask for a number.", min = "1")
    int defaultCpus() default 1;

    @AttributeDefinition(name = "Default memory (MiB)", description = "Guest memory of sandboxes that do not ask for an amount.", min = "64")
    int defaultMemoryMib() default 512;

    @AttributeDefinition(name = "Default backend",
            description = "The backend of creates that name none: a VMM backend (qemu, libkrun), used when it is"
                    + " available, else the highest ranked available one; or a sandbox backend (cloud), which then"
                    + " gets them. Changing it affects new creates only: each sandbox keeps the backend it was created"
                    + " on.")
    String defaultBackend() default "qemu";

    @AttributeDefinition(name = "Stop grace (seconds)", description = "Time between SIGTERM and SIGKILL when stopping a VM.", min = "0")
    int stopGraceSeconds() default 10;

    @AttributeDefinition(name = "Log file size (MiB)",
            description = "A sandbox's captured log (exec output, lifecycle markers) moves to a new file past this size.",
            min = "1")
    int logFileMib() default 10;

    @AttributeDefinition(name = "Log files kept",
            description = "Newest log files kept per sandbox, the one being written included; older ones are deleted.",
            min = "1")
    int logFiles() default 4;

    @AttributeDefinition(name = "Environment variables secrets may read",
            description = "Variables of the server's environment a sandbox's secret may take its value from"
                    + " ({\"type\":\"env\"} sources): names, or prefixes ending in *. Empty: none.")
    String[] secretEnvVariables() default {};
}
