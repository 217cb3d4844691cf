package io.msb.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import io.msb.api.NotFoundException;
import io.msb.api.image.ImageNotFoundException;
import io.msb.api.image.RegistryUnreachableException;
import java.io.IOException;
import java.net.ConnectException;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.BadMessageException;
import org.eclipse.jetty.io.EofException;
import org.junit.jupiter.api.Test;

/** How platform exceptions, failed body reads and Jetty's statuses become decision 0011's error codes. */
class ErrorsTest {
    @Test
    void imagesAndRegistriesHaveTheirOwnCodes() {
        ApiException image = ApiServlet.translate(new ImageNotFoundException("image", "x:1 (not cached)"));
        assertEquals(404, image.status());
        assertEquals("image_not_found", image.code());
        assertEquals("sandbox_not_found", ApiServlet.translate(new NotFoundException("sandbox", "s")).code());

        ApiException registry = ApiServlet.translate(new RegistryUnreachableException("127.0.0.1:1",
                "cannot reach registry 127.0.0.1:1 for manifest 1: connection refused or unreachable",
                new ConnectException()));
        assertEquals(502, registry.status());
        assertEquals("registry_unreachable", registry.code());
        assertEquals(Map.of("registry", "127.0.0.1:1"), registry.details());
    }

    @Test
    void invalidConfigIsTheClientsErrorNamingTheField() {
        ApiException e = ApiServlet.translate(new InvalidConfigException("env", "env: too big for the guest"));
        assertEquals(400, e.status());
        assertEquals("invalid_request", e.code());
        assertEquals(Map.of("field", "env"), e.details());
    }

    @Test
    void aBodyThatStallsCrawlsOrEndsEarlyIsTheClientsError() {
        ApiException stalled = RequestBodies.failure(new IOException(new TimeoutException("Idle timeout expired: 30000/30000 ms")));
        assertEquals(408, stalled.status());
        assertEquals("request_timeout", stalled.code());
        assertTrue(stalled.getMessage().contains("Idle timeout"), stalled.getMessage());

        ApiException crawling = RequestBodies.failure(new BadMessageException(408, "Request content data rate < 1024"));
        assertEquals(408, crawling.status());

        ApiException early = RequestBodies.failure(new EofException("Early EOF"));
        assertEquals(400, early.status());
        assertEquals("request body: ended before the bytes its Content-Length announced", early.getMessage());

        ApiException other = RequestBodies.failure(new IOException("reset"));
        assertEquals(400, other.status());
        assertEquals("invalid_request", other.code());
    }

    @Test
    void jettysStatusesGetCodesAndBoundedPrintableMessages() {
        assertEquals("invalid_request", JsonErrors.code(431));
        assertEquals("invalid_request", JsonErrors.code(414));
        assertEquals("invalid_request", JsonErrors.code(400));
        assertEquals("request_timeout", JsonErrors.code(408));
        // the SDK's code for what it sent wrongly, whoever refuses it
        assertEquals("invalid_request", JsonErrors.code(405));
        assertEquals("invalid_request", JsonErrors.code(413));
        assertEquals("invalid_request", JsonErrors.code(415));
        assertEquals("invalid_api_key", JsonErrors.code(401));
        assertEquals("internal_error", JsonErrors.code(500));
        assertEquals("request headers: too large", JsonErrors.message(431, null));
        assertEquals("Bad Request (Ambiguous URI path separator)", JsonErrors.message(400, "Ambiguous URI path separator"));
        String long_ = JsonErrors.message(400, "\u0000".repeat(1000));
        assertFalse(long_.contains("\u0000"));
        assertTrue(long_.length() < JsonErrors.MAX_MESSAGE + 40, long_);
    }

    @Test
    void bodiesAreJsonOrUnannounced() {
        for (String ok : new String[] {null, "", "application/json", "application/json; charset=utf-8",
            "Application/JSON", "application/merge-patch+json", "application/x-www-form-urlencoded"}) {
            RequestBodies.checkContentType(ok);
        }
        ApiException text = assertThrows(ApiException.class, () -> RequestBodies.checkContentType("text/plain; charset=x"));
        assertEquals(415, text.status());
        assertEquals("invalid_request", text.code());
        assertEquals("Content-Type: must be application/json (got text/plain)", text.getMessage());
        assertEquals(415, assertThrows(ApiException.class,
                () -> RequestBodies.checkContentType("multipart/form-data; boundary=x")).status());
    }
}
