package io.msb.api.volume;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.osgi.annotation.versioning.ProviderType;

import io.msb.api.fs.SandboxFs;

/**
 * Named volumes: create, inspect, update, remove, and their files from the host.
 * Errors: {@link io.msb.api.InvalidConfigException} (bad name, kind, sizes),
 * {@link io.msb.api.AlreadyExistsException}, {@link io.msb.api.NotFoundException}, {@link VolumeInUseException}.
 */
@ProviderType
public interface VolumeService {
    VolumeInfo create(VolumeSpec spec);

    Optional<VolumeInfo> get(String name);

    Optional<VolumeInfo> getById(UUID id);

    /** Every volume, in name order. */
    List<VolumeInfo> list();

    /** New quota and/or labels; a null argument leaves that part as it is. */
    VolumeInfo update(String name, Integer quotaMib, Map<String, String> labels);

    /**
     * Removes the volume and its files.
     *
     * @throws VolumeInUseException a sandbox's spec mounts it (whatever the sandbox's status)
     */
    void remove(String name);

    /** Removes every volume no sandbox mounts; the names removed. */
    List<String> prune();

    /**
     * The files of a {@link VolumeKind#DIRECTORY} volume, confined to it: paths are absolute within the volume,
     * and no path, {@code ..} or symbolic link reaches outside it.
     */
    SandboxFs files(String name);
}
