package io.msb.ssh.internal;

import io.msb.api.fs.SandboxFs;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.List;
import java.util.Set;
import org.apache.sshd.common.file.util.BaseFileSystem;

/**
 * One sandbox's files as a {@link java.nio.file.FileSystem}, for MINA's sftp and scp (decision 1052): paths are guest
 * paths, every operation is a {@link SandboxFs} call through the sandbox's agent. Nothing is cached.
 */
final class SandboxFileSystem extends BaseFileSystem<SandboxPath> {
    private final SandboxFs guest;
    private volatile boolean open = true;

    SandboxFileSystem(SandboxFileSystemProvider provider, SandboxFs guest) {
        super(provider);
        this.guest = guest;
    }

    SandboxFs guest() {
        return guest;
    }

    @Override
    protected SandboxPath create(String root, List<String> names) {
        return new SandboxPath(this, root, names);
    }

    @Override
    public void close() {
        open = false;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public Set<String> supportedFileAttributeViews() {
        return GuestAttributes.VIEWS;
    }

    @Override
    public UserPrincipalLookupService getUserPrincipalLookupService() {
        throw new UnsupportedOperationException("owners are numeric uids and gids in a sandbox");
    }
}
