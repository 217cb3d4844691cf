package io.msb.store.internal;

import io.msb.api.MsbHome;
import io.msb.api.store.SandboxStore;
import org.h2.jdbcx.JdbcConnectionPool;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.jdbc.DataSourceFactory;
import org.osgi.service.metatype.annotations.Designate;

/** The store as an OSGi service: opens and migrates the database on activation, closes the pool on deactivation. */
@Component(name = "io.msb.store", configurationPid = "io.msb.store", service = SandboxStore.class)
@Designate(ocd = StoreConfig.class)
public final class StoreComponent extends JdbcSandboxStore {

    @Activate
    public StoreComponent(StoreConfig config, @Reference(name = "dataSourceFactory",
            target = "(osgi.jdbc.driver.class=org.h2.Driver)") DataSourceFactory factory) {
        this(H2Store.pool(factory, MsbHome.resolve(config.home()), config.maxConnections()));
    }

    private StoreComponent(JdbcConnectionPool pool) {
        super(pool, H2Store.withHousekeeping(pool));
    }

    @Deactivate
    void deactivate() {
        close();
    }
}
