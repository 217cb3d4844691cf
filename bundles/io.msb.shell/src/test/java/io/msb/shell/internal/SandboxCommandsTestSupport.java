package io.msb.shell.internal;

/** Calls msb:run as the console would with only a name, a disk-image root and the --rm flag set. */
final class SandboxCommandsTestSupport {
    private SandboxCommandsTestSupport() {
    }

    static void run(SandboxCommands commands, String name, String diskImage, boolean remove, String... command)
            throws InterruptedException {
        java.util.List<String> words = new java.util.ArrayList<>(java.util.List.of("-n", name));
        if (remove) {
            words.add("--rm");
        }
        words.add("disk:" + diskImage);
        words.addAll(java.util.List.of(command));
        commands.run(words.toArray(String[]::new));
    }
}
