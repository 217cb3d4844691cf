package io.msb.ssh.internal;

import io.msb.api.SandboxService;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import org.apache.sshd.common.file.FileSystemFactory;
import org.apache.sshd.common.session.SessionContext;

/** The file system of the sandbox a session's user name selects, for sftp and scp. */
final class SandboxFileSystems implements FileSystemFactory {
    private final SandboxService sandboxes;
    private final SandboxFileSystemProvider provider = new SandboxFileSystemProvider();

    SandboxFileSystems(SandboxService sandboxes) {
        this.sandboxes = sandboxes;
    }

    /** None: relative paths start at the guest's root, as the agent's file API has no current directory. */
    @Override
    public Path getUserHomeDir(SessionContext session) {
        return null;
    }

    @Override
    public FileSystem createFileSystem(SessionContext session) throws IOException {
        String name = session.getUsername();
        try {
            return provider.newFileSystem(RunningSandbox.of(sandboxes, name).fs());
        } catch (RunningSandbox.Refused e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
