package io.msb.itests;

import java.io.IOException;
import java.net.http.HttpClient;
import javax.inject.Inject;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.BundleContext;

/** What the HTTP API tests start from: {@link HttpApiPlatform}'s platform for the test class, the probe's
 * {@link #context} and an HTTP client. */
public abstract class HttpApiTestBase {
    @Inject
    protected BundleContext context;
    protected final HttpClient http = HttpApiPlatform.client();

    @Configuration
    public Option[] config() throws IOException {
        return HttpApiPlatform.options(getClass());
    }
}
