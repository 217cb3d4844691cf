package io.msb.cli.internal;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

import org.junit.jupiter.api.Test;

class CdsTrainingTest {
    @Test
    void trainingRunsWithoutAServer() {
        // It must never fail the background archive run: every path it takes works offline.
        assertDoesNotThrow(CdsTraining::run);
    }
}
