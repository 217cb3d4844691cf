package io.msb.vmm.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** vm.properties names the backend that wrote it, so this backend never claims (and signals) another's VM. */
class VmStateTest {
    @TempDir
    Path dir;

    @Test
    void readsBackWhatItWrote() throws Exception {
        Path file = dir.resolve("vm.properties");
        VmState state = new VmState("box", 4242, 987654321L, true);
        state.write(file);
        assertTrue(Files.readString(file).contains("backend=qemu"));
        assertEquals(Optional.of(state), VmState.read(file));
    }

    @Test
    void anotherBackendsVmIsNotOurs() throws Exception {
        Path file = dir.resolve("vm.properties");
        Files.writeString(file, "backend=libkrun\nsandbox=box\npid=4242\nstartTime=1\ndetached=true\n");
        assertEquals(Optional.empty(), VmState.read(file));
    }

    @Test
    void aFileFromBeforeTheMarkIsOurs() throws Exception {
        Path file = dir.resolve("vm.properties");
        Files.writeString(file, "sandbox=box\npid=4242\nstartTime=1\ndetached=false\n");
        assertEquals(Optional.of(new VmState("box", 4242, 1, false)), VmState.read(file));
    }
}
