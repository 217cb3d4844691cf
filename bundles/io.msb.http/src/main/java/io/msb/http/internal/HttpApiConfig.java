package io.msb.http.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "msb HTTP API",
        description = "The /v1 API (microsandbox cloud API v1 and msb's extensions): keys and request limits.")
public @interface HttpApiConfig {
    String PID = "io.msb.http";

    @AttributeDefinition(name = "API keys", type = AttributeType.PASSWORD,
            description = "Bearer keys accepted on /v1. Empty: the key in <home>/api-key, generated on first start.")
    String[] apiKeys() default {};

    @AttributeDefinition(name = "Home directory",
            description = "Where the generated api-key lives; empty means $MSB_HOME, the msb.home property, or ~/.msb.")
    String home() default "";

    @AttributeDefinition(name = "Maximum request body (bytes)",
            description = "Larger JSON bodies are refused with 413 before they are parsed.", min = "1024")
    int maxBodyBytes() default 1 << 20;

    @AttributeDefinition(name = "Maximum exec output (MiB)",
            description = "stdout plus stderr one exec may stream; beyond it the process is killed. 0: no limit.",
            min = "0")
    int maxExecOutputMib() default 1024;

    @AttributeDefinition(name = "Maximum exec timeout (seconds)",
            description = "Largest timeout_secs an exec may ask for.", min = "1")
    int maxExecTimeoutSecs() default 86_400;

    @AttributeDefinition(name = "Maximum image archive (MiB)",
            description = "Largest Docker archive or OCI layout tar POST /v1/images/load accepts; larger is refused with "
                    + "413 and nothing of it is kept. It is streamed to <home>/tmp, not held in memory.", min = "1")
    int maxImageArchiveMib() default 16_384;

    @AttributeDefinition(name = "Maximum volume file (MiB)",
            description = "Largest file one PUT /v1/volumes/{id}/files/content may write; larger is 413 and nothing of "
                    + "it is kept. It is streamed into the volume, not held in memory; a volume's quota also applies.",
            min = "1")
    int maxVolumeFileMib() default 16_384;

    @AttributeDefinition(name = "Unfinished request bodies per client",
            description = "Requests one client address may have whose body is still arriving; more are 429 at once, so "
                    + "slow bodies cannot hold every server thread.", min = "1")
    int maxUnfinishedBodiesPerClient() default 16;

    @AttributeDefinition(name = "Minimum request body rate (bytes/s)",
            description = "A body arriving slower is 408 (Jetty's minimum request data rate); a body that stops is 408 "
                    + "after the HTTP idle timeout (org.apache.felix.http.timeout). 0: no minimum.", min = "0")
    long minBodyBytesPerSecond() default 1024;

    @AttributeDefinition(name = "Agent WebSockets per sandbox",
            description = "Open GET /v1/sandboxes/{id}/agent connections one sandbox may have (its relay has 128 client "
                    + "slots); a new one evicts the longest idle connection without an open session.", min = "1",
            max = "120")
    int agentSocketsPerSandbox() default 100;

    @AttributeDefinition(name = "Agent WebSocket message limit (bytes)",
            description = "Largest message a client may send on an agent WebSocket; larger closes it (1009). The "
                    + "default is one agent frame of the largest size (4 MiB) plus headroom.", min = "65536")
    int agentSocketMaxMessageBytes() default (4 << 20) + 4096;

    @AttributeDefinition(name = "Agent WebSocket idle timeout (seconds)",
            description = "An agent WebSocket client that sends nothing, not even the answer to the server's pings, "
                    + "this long is disconnected. 0: never.", min = "0")
    int agentSocketIdleTimeoutSecs() default 60;

    @AttributeDefinition(name = "Log streams",
            description = "GET .../logs event streams open at once (each holds a request thread while it follows); more "
                    + "are refused with 429.", min = "1")
    int maxLogStreams() default 32;
}
