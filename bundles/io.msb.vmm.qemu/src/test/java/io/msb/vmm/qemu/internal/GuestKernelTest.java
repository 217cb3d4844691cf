package io.msb.vmm.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The release string from an x86 boot image's setup header. */
class GuestKernelTest {
    @TempDir
    Path dir;

    private Path image(String magic, int pointer, String version) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(0x1000).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0x202, magic.getBytes(StandardCharsets.US_ASCII));
        b.putShort(0x20E, (short) pointer);
        byte[] v = version.getBytes(StandardCharsets.US_ASCII);
        if (0x200 + pointer + v.length <= b.capacity()) {
            b.put(0x200 + pointer, v);
        }
        Path p = dir.resolve("vmlinuz");
        Files.write(p, b.array());
        return p;
    }

    @Test
    void theReleaseIsTheFirstWordOfTheKernelVersionString() throws Exception {
        assertEquals(Optional.of("6.1.0-57-cloud-amd64"), GuestKernel.release(
                image("HdrS", 0x300, "6.1.0-57-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP\0")));
    }

    @Test
    void anythingElseHasNoRelease() throws Exception {
        assertEquals(Optional.empty(), GuestKernel.release(image("ELF!", 0x300, "6.1.0")));
        assertEquals(Optional.empty(), GuestKernel.release(image("HdrS", 0x300, "\0")));
        assertEquals(Optional.empty(), GuestKernel.release(image("HdrS", 0x7000, "6.1.0"))); // past the end
        assertEquals(Optional.empty(), GuestKernel.release(dir.resolve("missing")));
        Path tiny = dir.resolve("tiny");
        Files.write(tiny, new byte[16]);
        assertEquals(Optional.empty(), GuestKernel.release(tiny));
    }
}
