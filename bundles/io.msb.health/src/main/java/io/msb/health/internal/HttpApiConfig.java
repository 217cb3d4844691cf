package io.msb.health.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(id = HttpApiCheck.PID, name = "msb health: HTTP API",
        description = "The HTTP API health check asks GET /v1/version on the HTTP service's own endpoint.")
@interface HttpApiConfig {
    @AttributeDefinition(name = "Timeout (ms)", min = "100", max = "10000",
            description = "Connect and answer; below the health check executor's timeout (2000 ms by default).")
    int timeoutMillis() default 1500;
}
