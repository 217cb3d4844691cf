package io.msb.store.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "msb store",
        description = "Where msb keeps sandboxes, runs and images (an H2 database).")
public @interface StoreConfig {
    /** The default of {@link #compactAboveMib()}. */
    int COMPACT_ABOVE_MIB = 64;

    @AttributeDefinition(name = "Home", description = "msb home directory; the database is <home>/db/msb. "
            + "Empty: $MSB_HOME, else the msb.home system property, else ~/.msb.")
    String home() default "";

    @AttributeDefinition(name = "Max connections", min = "1", description = "Size of the connection pool.")
    int maxConnections() default 8;

    @AttributeDefinition(name = "Compact above (MiB)", min = "1", description = "The database file only grows "
            + "while it is open; once it is above this size and twice its size after the last compaction, the store "
            + "compacts it (writes wait meanwhile, typically milliseconds). It is also compacted at every start.")
    int compactAboveMib() default COMPACT_ABOVE_MIB;
}
