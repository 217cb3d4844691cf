package io.msb.shell.internal;

/** Calls msb:run as the console would with only a name, a disk-image root and the --rm flag set. */
final class SandboxCommandsTestSupport {
    private SandboxCommandsTestSupport() {
    }

    static void run(SandboxCommands commands, String name, String diskImage, boolean remove, String... command)
            throws InterruptedException {
        commands.run(name, 0, 0, "", "", "", remove, false, "disk:" + diskImage, command);
    }
}
