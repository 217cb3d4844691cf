package io.msb.health.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;

import org.apache.felix.hc.api.Result;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

/** Against a real HTTP server on loopback that answers /v1/version as told. */
class HttpApiCheckTest {
    private HttpServer server;
    private volatile int status = 200;

    @BeforeEach
    void serve() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/version", x -> {
            x.sendResponseHeaders(status, -1);
            x.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private URI endpoint(String host) {
        return URI.create("http://" + host + ":" + server.getAddress().getPort() + "/");
    }

    @Test
    void anAnsweringApiIsOk() {
        Result r = new HttpApiCheck(Duration.ofSeconds(2)).probe(endpoint("127.0.0.1"));
        assertEquals(Result.Status.OK, r.getStatus(), r.toString());
        assertTrue(r.toString().contains("/v1/version answered 200"), r.toString());
    }

    @Test
    void anEndpointOnEveryInterfaceIsAskedOverLoopback() {
        Result r = new HttpApiCheck(Duration.ofSeconds(2)).probe(endpoint("0.0.0.0"));
        assertEquals(Result.Status.OK, r.getStatus(), r.toString());
        assertTrue(r.toString().contains("http://127.0.0.1:"), r.toString());
    }

    @Test
    void anErrorStatusIsCritical() {
        status = 503;
        Result r = new HttpApiCheck(Duration.ofSeconds(2)).probe(endpoint("127.0.0.1"));
        assertEquals(Result.Status.CRITICAL, r.getStatus(), r.toString());
        assertTrue(r.toString().contains("answered 503 instead of 200"), r.toString());
    }

    @Test
    void nothingListeningIsCritical() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Result r = new HttpApiCheck(Duration.ofSeconds(2)).probe(URI.create("http://127.0.0.1:" + port + "/"));
        assertEquals(Result.Status.CRITICAL, r.getStatus(), r.toString());
        assertTrue(r.toString().contains("failed within 2000 ms"), r.toString());
    }
}
