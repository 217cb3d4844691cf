package io.msb.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code msb tls ca}: the server's interception CA, printed as it comes; the server's refusal as an error. */
class TlsCommandTest extends ScriptedCliTest {
    private static final String PEM = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n";

    @Test
    void printsThePem() {
        server.on("GET /v1/tls/ca.pem", 200, PEM);
        assertEquals(0, msb("tls", "ca"));
        assertEquals(PEM, stdout());
        assertEquals(0, msb("tls", "ca", "--json"));
        assertTrue(stdout().endsWith("{\"pem\":\"-----BEGIN CERTIFICATE-----\\nMIIBtest\\n-----END CERTIFICATE-----\\n\"}\n"),
            stdout());
    }

    @Test
    void saysWhenTheServerHasNone() {
        server.on("GET /v1/tls/ca.pem", 501, "{\"error\":{\"code\":\"not_supported\",\"message\":\"the network service"
            + " does not intercept TLS: there is no interception CA\"}}");
        assertEquals(125, msb("tls", "ca"), "a server error, as for every command");
        assertTrue(stderr().contains("does not intercept TLS"), stderr());
    }
}
