package io.msb.ssh.internal;

import java.io.IOException;
import java.nio.file.LinkOption;
import java.util.List;
import org.apache.sshd.common.file.util.BasePath;

/** A guest path of a {@link SandboxFileSystem}. */
final class SandboxPath extends BasePath<SandboxPath, SandboxFileSystem> {
    SandboxPath(SandboxFileSystem fileSystem, String root, List<String> names) {
        super(fileSystem, root, names);
    }

    /** The absolute guest path the agent is asked about. */
    String guestPath() {
        return toAbsolutePath().normalize().toString();
    }

    @Override
    public SandboxPath toRealPath(LinkOption... options) throws IOException {
        String path = guestPath();
        return getFileSystem().getPath(GuestErrors.call(path, () -> getFileSystem().guest().realpath(path)));
    }
}
