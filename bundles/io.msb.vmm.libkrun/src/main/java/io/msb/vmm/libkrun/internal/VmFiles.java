package io.msb.vmm.libkrun.internal;

import java.nio.file.Path;

/** Where one VM's files live in its sandbox's state directory. */
record VmFiles(Path stateDir, Path agentSocket, Path consoleLog, Path launcherLog, Path record, Path bootstrap) {
    static VmFiles of(Path stateDir) {
        Path logs = stateDir.resolve("logs");
        return new VmFiles(stateDir, stateDir.resolve("vm.sock"), logs.resolve("kernel.log"),
                logs.resolve("krun.log"), stateDir.resolve("vm.properties"), stateDir.resolve("bootstrap.cbor"));
    }
}
