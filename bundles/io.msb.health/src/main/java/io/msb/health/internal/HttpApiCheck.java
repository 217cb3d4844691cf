package io.msb.health.internal;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.List;

import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.osgi.service.servlet.runtime.HttpServiceRuntimeConstants;

/**
 * The HTTP API answers: GET /v1/version on the endpoint the HTTP service publishes, over loopback when it listens
 * on every interface, within a bounded time (decision 1884). A registered servlet alone would not show Jetty answering.
 */
@Component(configurationPid = HttpApiCheck.PID, service = HealthCheck.class,
        property = {HealthCheck.NAME + "=msb HTTP API", HealthCheck.TAGS + "=msb"})
@Designate(ocd = HttpApiConfig.class)
public final class HttpApiCheck implements HealthCheck {
    static final String PID = "io.msb.health.http";

    @Reference(service = HttpServiceRuntime.class, cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC)
    volatile ServiceReference<HttpServiceRuntime> http;

    private final Duration timeout;
    private final HttpClient client;

    @Activate
    public HttpApiCheck(HttpApiConfig config) {
        this(Duration.ofMillis(Math.max(100, Math.min(10_000, config.timeoutMillis()))));
    }

    HttpApiCheck(Duration timeout) {
        this.timeout = timeout;
        this.client = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    @Override
    public Result execute() {
        ServiceReference<HttpServiceRuntime> ref = http;
        if (ref == null) {
            return new Result(Result.Status.CRITICAL, "no HTTP service runtime is registered (Felix HTTP Jetty is not active)");
        }
        List<String> endpoints = endpoints(ref.getProperty(HttpServiceRuntimeConstants.HTTP_SERVICE_ENDPOINT));
        if (endpoints.isEmpty()) {
            return new Result(Result.Status.CRITICAL, "the HTTP service publishes no endpoint (is it listening?)");
        }
        return probe(URI.create(endpoints.get(0)));
    }

    /** GET {endpoint}v1/version: OK on 200 with the time it took. */
    Result probe(URI endpoint) {
        String host = endpoint.getHost();
        if (host == null || host.equals("0.0.0.0") || host.equals("[::]") || host.equals("::")) {
            host = "127.0.0.1";
        }
        URI version = URI.create("http://" + host + ":" + endpoint.getPort() + "/v1/version");
        long t0 = System.nanoTime();
        try {
            HttpResponse<Void> r = client.send(HttpRequest.newBuilder(version).timeout(timeout).GET().build(),
                    HttpResponse.BodyHandlers.discarding());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (r.statusCode() == 200) {
                return new Result(Result.Status.OK, "GET " + version + " answered 200 in " + ms + " ms");
            }
            return new Result(Result.Status.CRITICAL, "GET " + version + " answered " + r.statusCode() + " instead of 200");
        } catch (IOException e) {
            return new Result(Result.Status.CRITICAL, "GET " + version + " failed within " + timeout.toMillis() + " ms: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(Result.Status.CRITICAL, "interrupted while asking " + version);
        }
    }

    private static List<String> endpoints(Object property) {
        if (property instanceof String s) {
            return List.of(s);
        }
        if (property instanceof String[] a) {
            return List.of(a);
        }
        if (property instanceof Collection<?> c) {
            return c.stream().map(String::valueOf).toList();
        }
        return List.of();
    }
}
