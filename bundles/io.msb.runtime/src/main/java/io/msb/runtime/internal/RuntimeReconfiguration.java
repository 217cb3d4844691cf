package io.msb.runtime.internal;

import java.util.Arrays;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.ComponentConstants;
import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * How the components of {@value RuntimeConfig#PID} take a configuration change (decision 1707): a change of the
 * default backend alone applies at once (it affects new creates only, so nothing running needs to restart); any
 * other change restarts the component, as if it had no modified method.
 */
final class RuntimeReconfiguration {
    private static final System.Logger LOG = System.getLogger(RuntimeReconfiguration.class.getName());

    private RuntimeReconfiguration() {
    }

    /** Whether {@code next} differs from {@code current} in nothing but {@code defaultBackend}. */
    static boolean onlyTheDefaultBackend(RuntimeConfig current, RuntimeConfig next) {
        return current.home().equals(next.home()) && current.defaultCpus() == next.defaultCpus()
                && current.defaultMemoryMib() == next.defaultMemoryMib()
                && current.stopGraceSeconds() == next.stopGraceSeconds() && current.logFileMib() == next.logFileMib()
                && current.logFiles() == next.logFiles()
                && Arrays.equals(current.secretEnvVariables(), next.secretEnvVariables());
    }

    /**
     * Deactivates and activates the component again, with the configuration it has now, through the SCR's runtime
     * API and on a thread of its own: SCR holds the component's lock while its modified method runs.
     */
    static void restart(ComponentContext context) {
        String name = (String) context.getProperties().get(ComponentConstants.COMPONENT_NAME);
        Bundle bundle = context.getBundleContext().getBundle();
        BundleContext bundleContext = context.getBundleContext();
        Thread t = new Thread(() -> {
            ServiceReference<ServiceComponentRuntime> ref = bundleContext.getServiceReference(
                    ServiceComponentRuntime.class);
            ServiceComponentRuntime scr = ref == null ? null : bundleContext.getService(ref);
            if (scr == null) {
                LOG.log(System.Logger.Level.WARNING, "cannot restart {0} for its new configuration: no SCR", name);
                return;
            }
            try {
                ComponentDescriptionDTO component = scr.getComponentDescriptionDTO(bundle, name);
                scr.disableComponent(component).getValue();
                scr.enableComponent(component).getValue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException | java.lang.reflect.InvocationTargetException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot restart " + name + " for its new configuration", e);
            } finally {
                bundleContext.ungetService(ref);
            }
        }, "msb-reconfigure-" + name);
        t.setDaemon(true);
        t.start();
    }
}
