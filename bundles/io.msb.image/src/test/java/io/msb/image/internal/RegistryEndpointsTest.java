package io.msb.image.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RegistryEndpointsTest {
    @Test
    void loopbackDetection() {
        assertTrue(RegistryClient.isLoopback("127.0.0.1"));
        assertTrue(RegistryClient.isLoopback("127.8.9.10"));
        assertTrue(RegistryClient.isLoopback("localhost"));
        assertTrue(RegistryClient.isLoopback("::1"));
        assertFalse(RegistryClient.isLoopback("128.0.0.1"));
        assertEquals(false, RegistryClient.isLoopback("127.0.0.1.example.com"));
    }
}
