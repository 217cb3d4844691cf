package io.msb.vmm.qemu.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * A kernel image and, when its drivers are modules, the {@code lib/modules/<release>} directory they live in.
 *
 * @param image the bzImage passed to {@code -kernel}
 * @param modulesDir the modules of that kernel, or null when everything needed is built in
 */
record GuestKernel(Path image, Path modulesDir) {
    /** Where an x86 boot image's setup header keeps the offset (less 0x200) of its version string. */
    private static final int VERSION_POINTER = 0x20E;
    private static final int HEADER_MAGIC = 0x202;
    private static final int MAX_VERSION = 256;

    /**
     * The release of an x86 bzImage ({@code 6.1.0-28-cloud-amd64}), from its setup header's {@code kernel_version}
     * string (boot protocol 2.00+); empty for anything else or an unreadable file.
     */
    static Optional<String> release(Path image) {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            ByteBuffer head = ByteBuffer.allocate(0x210).order(ByteOrder.LITTLE_ENDIAN);
            if (ch.read(head, 0) < head.capacity()
                    || head.getInt(HEADER_MAGIC) != 0x53726448) { // "HdrS"
                return Optional.empty();
            }
            long at = 0x200L + Short.toUnsignedInt(head.getShort(VERSION_POINTER));
            ByteBuffer text = ByteBuffer.allocate(MAX_VERSION);
            ch.read(text, at);
            String s = new String(text.array(), 0, text.position(), StandardCharsets.US_ASCII);
            int end = 0;
            while (end < s.length() && s.charAt(end) > ' ' && s.charAt(end) < 0x7f) {
                end++;
            }
            return end == 0 ? Optional.empty() : Optional.of(s.substring(0, end));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
