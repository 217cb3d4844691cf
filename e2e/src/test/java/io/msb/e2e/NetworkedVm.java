package io.msb.e2e;

import io.msb.api.PullPolicy;
import io.msb.api.image.ImageInfo;
import io.msb.api.image.ImageReference;
import io.msb.api.spi.NetworkAttachment;
import io.msb.api.spi.VmHandle;
import io.msb.api.spi.VmSpec;
import io.msb.protocol.AgentClient;
import io.msb.protocol.GuestBootstrap;
import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * A VM a test boots itself, straight through the platform's QEMU backend (not the runtime), with a network
 * attachment, and an agent client connected to it; closing disconnects and kills the VM.
 */
record NetworkedVm(VmHandle vm, AgentClient agent) implements AutoCloseable {
    /** The root disk of {@link Platform#IMAGE}, pulled if missing. */
    static VmSpec.Disk busyboxRoot(Platform platform) {
        ImageInfo busybox = platform.images().pull(ImageReference.parse(Platform.IMAGE), PullPolicy.IF_MISSING, null);
        return platform.rootfs().rootDisk(busybox);
    }

    /**
     * Boots sandbox {@code name} (one CPU, 256 MiB) in {@code dir} from {@code root} with the guest's network
     * configured from the attachment; the agent client's timeouts are {@code guard}, which only turns a hang into a
     * failure.
     */
    static NetworkedVm boot(Platform platform, String name, String hostname, java.nio.file.Path dir,
            VmSpec.Disk root, NetworkAttachment attachment, Duration guard) throws IOException {
        GuestBootstrap bootstrap = new GuestBootstrap(hostname, List.of(), null, null, List.of(),
                GuestBootstrap.Network.of(attachment));
        VmHandle vm = platform.qemu().start(new VmSpec(name, dir, null, null, List.of(bootstrap.kernelArgument()),
                List.of(root), 1, 256, false, attachment));
        try {
            return new NetworkedVm(vm, AgentClient.connect(vm.agentChannel(), new AgentClient.Options(guard, guard, 16)));
        } catch (IOException | RuntimeException | Error e) {
            vm.kill();
            throw e;
        }
    }

    @Override
    public void close() {
        try {
            agent.close();
        } finally {
            vm.kill();
        }
    }
}
