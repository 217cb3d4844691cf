package io.msb.backend.cloud.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The remote msb server this backend places sandboxes on. Nothing runs until a configuration with a {@code url}
 * exists. The API key never stays here: one entered in {@code .apiKey} is moved to the key file on activation
 * (decision 1721).
 */
@ObjectClassDefinition(name = "msb cloud backend",
        description = "Places sandboxes on a remote msb server through its HTTP API (a create with backend=<name>)")
public @interface CloudBackendConfig {
    String PID = "io.msb.backend.cloud";

    /** Published as the service property {@code msb.backend}: the name a create's {@code backend} chooses. */
    @AttributeDefinition(name = "Backend name", description = "The name a create's backend field chooses (service"
            + " property msb.backend); letters, digits, '-' and '_'")
    String msb_backend() default "cloud";

    @AttributeDefinition(name = "Remote URL", description = "The remote msb server's base URL, e.g."
            + " http://127.0.0.1:5555 (its API is under /v1)")
    String url();

    /** Private (a leading dot): never a service property; moved to the key file on activation. */
    @AttributeDefinition(name = "API key", type = AttributeType.PASSWORD, required = false,
            description = "The remote's API key. Saved into the key file (mode 0600) and removed from this"
                    + " configuration when the backend starts")
    String _apiKey() default "";

    @AttributeDefinition(name = "API key file", required = false, description = "Where the key is kept (mode 0600);"
            + " empty: <home>/backends/<name>/api-key")
    String apiKeyFile() default "";

    @AttributeDefinition(name = "Home", required = false, description = "msb's home; empty: $MSB_HOME, else ~/.msb")
    String home() default "";

    @AttributeDefinition(name = "Connect timeout (s)", min = "1", max = "300")
    int connectTimeoutSecs() default 5;

    @AttributeDefinition(name = "Request timeout (s)", description = "A whole call (a create pulls the image and"
            + " boots on the remote); streamed exec and logs are not bounded by it", min = "1", max = "86400")
    int requestTimeoutSecs() default 600;

    @AttributeDefinition(name = "Health interval (s)", description = "How often the remote is asked whether it is"
            + " there, and pending placements are settled", min = "1", max = "3600")
    int healthIntervalSecs() default 5;

    @AttributeDefinition(name = "Max response (MiB)", description = "The largest JSON answer read from the remote",
            min = "1", max = "1024")
    int maxResponseMib() default 16;

    @AttributeDefinition(name = "Max exec output (MiB)", description = "stdout plus stderr a collected exec keeps",
            min = "1", max = "4096")
    int maxExecOutputMib() default 64;
}
