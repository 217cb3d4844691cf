package io.msb.api.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.osgi.annotation.versioning.ProviderType;

/** Durable named-volume records. Every method is one transaction. */
@ProviderType
public interface VolumeStore {
    /**
     * Records a new volume.
     *
     * @throws io.msb.api.AlreadyExistsException a volume of that name (or id) is recorded
     */
    void insertVolume(VolumeRecord volume);

    Optional<VolumeRecord> findVolume(String name);

    Optional<VolumeRecord> findVolumeById(UUID id);

    /** Every volume, in name order. */
    List<VolumeRecord> listVolumes();

    /**
     * Sets the quota and/or the labels (a null argument leaves that part as it is) and {@code updatedAt}.
     *
     * @return the record as it now is, or empty when there is no such volume
     */
    Optional<VolumeRecord> updateVolume(String name, Integer quotaMib, Map<String, String> labels, Instant updatedAt);

    /** Deletes the record; returns whether it existed. */
    boolean deleteVolume(String name);
}
