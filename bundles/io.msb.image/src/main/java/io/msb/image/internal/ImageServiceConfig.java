package io.msb.image.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "msb images",
        description = "OCI registry client and the shared blob cache")
public @interface ImageServiceConfig {
    @AttributeDefinition(description = "msb home; empty means $MSB_HOME, the msb.home property or ~/.msb")
    String home() default "";

    @AttributeDefinition(min = "1", max = "64", description = "Layer downloads running at once")
    int maxParallelDownloads() default 4;

    @AttributeDefinition(description = "Registries (host or host:port) allowed over plain HTTP or unverified TLS;"
            + " loopback registries are always allowed plain HTTP")
    String[] insecureRegistries() default {};

    @AttributeDefinition(description = "Mirrors as registry=baseURL, e.g. docker.io=https://mirror.example")
    String[] registryMirrors() default {};

    @AttributeDefinition(description = "PEM file or directory of extra CA certificates; empty for none")
    String caCertificates() default "";

    @AttributeDefinition(type = AttributeType.PASSWORD,
            description = "Credentials as registry=username:password")
    String[] credentials() default {};

    @AttributeDefinition(description = "Read credentials from Docker's config.json (~/.docker or $DOCKER_CONFIG)")
    boolean useDockerConfig() default true;

    @AttributeDefinition(description = "Platform chosen from multi-platform images: os/arch[/variant]")
    String platform() default "linux/amd64";

    @AttributeDefinition(min = "0", max = "20", description = "Retries per blob after a dropped connection")
    int retries() default 5;

    @AttributeDefinition(min = "1", max = "3600",
            description = "A blob download that receives nothing for this many seconds is cut and resumed")
    int stallTimeoutSeconds() default 60;
}
