package io.msb.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.RootfsSource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunArgumentsTest {

    @Test
    void optionsStopAtTheImageAndTheCommandIsUntouched() {
        RunArguments run = RunArguments.parse(List.of("-n", "box", "--cpus", "2", "-m", "768", "-e", "A=1", "-e", "B=2,C=3",
                "-l", "team=x", "-w", "/tmp", "--rm", "-d", "builtin:busybox", "--", "ls", "-l", "-n", "--rm", "/"));
        assertEquals("box", run.spec().name());
        assertEquals(RootfsSource.image("builtin:busybox"), run.spec().rootfs());
        assertEquals(2, run.spec().cpus());
        assertEquals(768, run.spec().memoryMib());
        assertEquals(Map.of("A", "1", "B", "2", "C", "3"), run.spec().env());
        assertEquals(Map.of("team", "x"), run.spec().labels());
        assertEquals("/tmp", run.spec().workdir());
        assertTrue(run.remove());
        assertTrue(run.spec().ephemeral());
        assertTrue(run.spec().detached());
        assertEquals(List.of("ls", "-l", "-n", "--rm", "/"), run.command());
    }

    @Test
    void theSeparatorIsOptionalAndMayAlsoPrecedeTheImage() {
        assertEquals(List.of("echo", "-n", "hi"), RunArguments.parse(List.of("img", "echo", "-n", "hi")).command());
        assertEquals(List.of("echo"), RunArguments.parse(List.of("--", "img", "--", "echo")).command());
        RunArguments detached = RunArguments.parse(List.of("img"));
        assertTrue(detached.command().isEmpty());
        assertTrue(detached.spec().name().matches("msb-[0-9a-f]{8}"), detached.spec().name());
        assertFalse(detached.remove());
        assertEquals(new RootfsSource.HostDirectory(java.nio.file.Path.of("/srv/root")),
                RunArguments.parse(List.of("dir:/srv/root")).spec().rootfs());
    }

    @Test
    void mistakesSayWhatIsWrong() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RunArguments.parse(List.of("-x", "img")))
                .getMessage().startsWith("msb:run: unknown option -x"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RunArguments.parse(List.of("--cpus", "two", "img")))
                .getMessage().contains("--cpus needs a whole number, got two"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RunArguments.parse(List.of("-n")))
                .getMessage().contains("-n needs a value"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RunArguments.parse(List.of("--rm")))
                .getMessage().startsWith("msb:run needs an image"));
    }
}
