package io.msb.store.internal;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** Base of the tests that run against an {@link H2Store} (four connections) opened in a fresh temporary home. */
abstract class WithOpenStore {
    @TempDir
    Path home;
    H2Store db;

    @BeforeEach
    void openStore() {
        db = H2Store.open(home, 4);
    }

    @AfterEach
    void closeStore() {
        db.close();
    }
}
