package io.msb.http.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.felix.http.jetty.ConnectorFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;

/**
 * What Felix HTTP's configuration properties cannot set on its Jetty 12 (decision 1007): the JSON error body
 * for the errors Jetty answers itself, and a minimum request body data rate. Felix hands a bundle its Jetty
 * {@link Server} only through {@link ConnectorFactory}, which must return a connector: ours listens on the
 * IPv6 loopback at Felix's port, so {@code http://localhost:<port>} answers at once where localhost is ::1 first.
 */
@Component(service = ConnectorFactory.class, configurationPid = HttpApiConfig.PID, immediate = true)
public final class JettyHardening implements ConnectorFactory {
    static final String IPV6_LOOPBACK = "::1";
    private final List<Runnable> undo = new ArrayList<>();
    private final List<HttpConfiguration> hardened = new ArrayList<>();
    private long minBodyBytesPerSecond;
    private Server current;

    @Activate
    public JettyHardening(HttpApiConfig config) {
        this.minBodyBytesPerSecond = config.minBodyBytesPerSecond();
    }

    /**
     * A configuration change applies in place: re-registering would make Felix stop our connector and bind
     * a new one at once, which can find the port not yet released. (Immediate, so that Felix's unget after
     * a connector that failed to bind does not deactivate the error handler too.)
     */
    @Modified
    synchronized void modified(HttpApiConfig config) {
        minBodyBytesPerSecond = config.minBodyBytesPerSecond();
        hardened.forEach(settings -> settings.setMinRequestDataRate(minBodyBytesPerSecond));
    }

    @Override
    public synchronized Connector createConnector(Server server) {
        if (server != current) { // Felix restarted Jetty: the old server's settings went with it
            undo.clear();
            hardened.clear();
            current = server;
        }
        install(server);
        ServerConnector felix = null;
        for (Connector c : server.getConnectors()) {
            HttpConnectionFactory http = c.getConnectionFactory(HttpConnectionFactory.class);
            if (http != null) {
                harden(http.getHttpConfiguration());
            }
            if (felix == null && c instanceof ServerConnector sc && http != null) {
                felix = sc;
            }
        }
        if (felix == null) {
            throw new IllegalStateException("Felix HTTP has no HTTP connector to take the settings of");
        }
        HttpConfiguration settings = felix.getConnectionFactory(HttpConnectionFactory.class).getHttpConfiguration();
        ServerConnector loopback6 = new ServerConnector(server, new HttpConnectionFactory(settings));
        loopback6.setHost(IPV6_LOOPBACK);
        loopback6.setPort(felix.getLocalPort() > 0 ? felix.getLocalPort() : felix.getPort());
        loopback6.setIdleTimeout(felix.getIdleTimeout());
        return loopback6;
    }

    private void harden(HttpConfiguration settings) {
        long before = settings.getMinRequestDataRate();
        settings.setMinRequestDataRate(minBodyBytesPerSecond);
        hardened.add(settings);
        undo.add(() -> settings.setMinRequestDataRate(before));
    }

    /**
     * The JSON error handler on the server, and on every context that has its own (a context without one uses
     * the server's, which then still keeps the Web Console's pages).
     */
    private void install(Server server) {
        swap(server.getErrorHandler(), server::setErrorHandler);
        for (ContextHandler context : server.getContainedBeans(ContextHandler.class)) {
            if (context.getErrorHandler() != null) {
                swap(context.getErrorHandler(), context::setErrorHandler);
            }
        }
    }

    private void swap(Request.Handler current, Consumer<Request.Handler> setter) {
        Request.Handler original = current instanceof JsonErrors j ? j.previous() : current;
        setter.accept(new JsonErrors(original));
        undo.add(() -> setter.accept(original));
    }

    @Deactivate
    synchronized void deactivate() {
        undo.forEach(Runnable::run);
        undo.clear();
        hardened.clear();
    }
}
