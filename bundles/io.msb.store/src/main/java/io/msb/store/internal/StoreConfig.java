package io.msb.store.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "msb store",
        description = "Where msb keeps sandboxes, runs and images (an H2 database).")
public @interface StoreConfig {
    @AttributeDefinition(name = "Home", description = "msb home directory; the database is <home>/db/msb. "
            + "Empty: $MSB_HOME, else the msb.home system property, else ~/.msb.")
    String home() default "";

    @AttributeDefinition(name = "Max connections", min = "1", description = "Size of the connection pool.")
    int maxConnections() default 8;
}
