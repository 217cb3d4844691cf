package io.msb.itests;

import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.ops4j.pax.exam.CoreOptions;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.BundleContext;

/**
 * What the tests that drive the platform through its HTTP API share: the platform with the API on a free port
 * ({@link #PORT_PROPERTY}) accepting {@link #KEY}, the real agentd as its VMM, and requests to it.
 */
final class HttpApiPlatform {
    static final String KEY = "msb_itest_key";
    static final String PORT_PROPERTY = "msb.itests.httpPort";
    static final String BACKEND = "agentd-process";

    private HttpApiPlatform() {
    }

    /** A new home's platform with the HTTP API and the test support bundle, then {@code more}. */
    static Option[] options(Class<?> testClass, Option... more) throws IOException {
        return options(MsbPlatform.newHome(testClass), more);
    }

    /** The platform with the HTTP API in {@code home} (a short one for real VMs), then {@code more}. */
    static Option[] options(Path home, Option... more) throws IOException {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        return CoreOptions.options(composite(MsbPlatform.forHome(home)), MsbPlatform.http(home, port, KEY),
                MsbPlatform.testSupport(), frameworkProperty(PORT_PROPERTY).value(String.valueOf(port)),
                composite(more));
    }

    static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    static int port(BundleContext context) {
        return Integer.parseInt(context.getProperty(PORT_PROPERTY));
    }

    static URI uri(BundleContext context, String path) {
        return URI.create("http://127.0.0.1:" + port(context) + path);
    }

    /** A request with a 60 s timeout; a body goes as JSON, an {@code authorization} of null sends none. */
    static HttpRequest request(BundleContext context, String method, String path, String body,
            String authorization) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(context, path)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return b.build();
    }

    /** The agentd "VMM" (io.msb.testing) becomes the runtime's backend, and the API answers. */
    static void useAgentdAsTheVmm(BundleContext context, HttpClient http) throws Exception {
        AgentdAsTheVmm.install(context, home(context), BACKEND);
        Osgi.eventually("the API answers on its port", () -> http.send(request(context, "GET", "/v1/version", null,
                null), HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
    }

    static Path home(BundleContext context) {
        return Path.of(context.getProperty(MsbPlatform.HOME_PROPERTY));
    }

    /**
     * A create body booting a tiny raw disk as the root (the agentd "VM" ignores it, the runtime checks it), with
     * {@code labels} (a JSON object) unless null.
     */
    static String createBody(BundleContext context, String name, String labels) throws IOException {
        Path disk = home(context).resolve("root.img");
        if (!Files.exists(disk)) {
            Files.write(disk, new byte[4096]);
        }
        return "{\"name\":\"" + name + "\",\"image\":{\"type\":\"disk_image\",\"path\":\"" + disk + "\",\"format\":\"raw\"}"
                + (labels == null ? "" : ",\"labels\":" + labels) + "}";
    }
}
