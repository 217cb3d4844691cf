package io.msb.store.internal;

import io.msb.api.MsbHome;
import io.msb.api.spi.SecretStore;
import io.msb.api.store.ImageStore;
import io.msb.api.store.SandboxStore;
import io.msb.api.store.VolumeStore;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import org.osgi.annotation.bundle.Capability;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.jdbc.DataSourceFactory;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The store bundle's one component: opens and migrates the database on activation and registers one service per
 * aggregate over it ({@link SandboxStore}, {@link ImageStore}, {@link VolumeStore}, {@link SecretStore}), each with the configuration's properties (home,
 * maxConnections); on deactivation it withdraws them, then closes the pool. Registering them here rather than as
 * components of their own keeps them tied to one open database: a reconfiguration can never leave a store of the
 * new configuration bound to the database of the old one (decision 0107). The capabilities declare the services,
 * as DS would for services of its own, so resolvers (Karaf features) see that this bundle provides them.
 */
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=\"io.msb.api.store.SandboxStore\"",
        uses = SandboxStore.class)
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=\"io.msb.api.store.ImageStore\"",
        uses = ImageStore.class)
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=\"io.msb.api.store.VolumeStore\"",
        uses = VolumeStore.class)
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=\"io.msb.api.spi.SecretStore\"",
        uses = SecretStore.class)
@Component(name = "io.msb.store", configurationPid = "io.msb.store", service = {})
@Designate(ocd = StoreConfig.class)
public final class StoreComponent {
    private final H2Store store;
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();

    @Activate
    public StoreComponent(BundleContext context, Map<String, Object> properties, StoreConfig config,
            @Reference(name = "dataSourceFactory", target = "(osgi.jdbc.driver.class=org.h2.Driver)")
            DataSourceFactory factory) {
        store = H2Store.open(factory, MsbHome.resolve(config.home()), config.maxConnections(),
                config.compactAboveMib());
        Dictionary<String, Object> serviceProperties = serviceProperties(properties);
        registrations.add(context.registerService(SandboxStore.class, store.sandboxes(), serviceProperties));
        registrations.add(context.registerService(ImageStore.class, store.images(), serviceProperties));
        registrations.add(context.registerService(VolumeStore.class, store.volumes(), serviceProperties));
        registrations.add(context.registerService(SecretStore.class, store.secrets(), serviceProperties));
    }

    /** The configuration's properties, as DS would publish them for a service of the component. */
    private static Dictionary<String, Object> serviceProperties(Map<String, Object> properties) {
        Dictionary<String, Object> out = new Hashtable<>();
        properties.forEach((k, v) -> {
            if (!k.startsWith("component.")) {
                out.put(k, v);
            }
        });
        return out;
    }

    @Deactivate
    void deactivate() {
        for (ServiceRegistration<?> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the framework unregisters a stopping bundle's services itself
            }
        }
        store.close();
    }
}
