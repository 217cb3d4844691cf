package io.msb.store.internal;

import static io.msb.store.internal.Database.first;
import static io.msb.store.internal.Database.foldChildren;
import static io.msb.store.internal.Database.instant;
import static io.msb.store.internal.Database.insert;
import static io.msb.store.internal.Database.query;
import static io.msb.store.internal.Database.setInteger;
import static io.msb.store.internal.Database.update;

import io.msb.api.AlreadyExistsException;
import io.msb.api.Check;
import io.msb.api.MsbException;
import io.msb.api.store.VolumeRecord;
import io.msb.api.store.VolumeStore;
import io.msb.api.volume.VolumeKind;
import io.msb.api.volume.VolumeSpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * {@link VolumeStore} over the bundle's shared {@link Database}: named volumes and their labels (migration V4).
 * Each public method runs in exactly one transaction.
 */
public class JdbcVolumeStore implements VolumeStore {
    private static final String SELECT = "SELECT v.public_id, v.name, v.kind, v.quota_mib, v.capacity_mib, "
            + "v.created_at, v.updated_at, l.label_key, l.label_value "
            + "FROM volumes v LEFT JOIN volume_labels l ON l.owner_id = v.id ";

    private final Database db;

    public JdbcVolumeStore(Database db) {
        this.db = Objects.requireNonNull(db, "db");
    }

    @Override
    public void insertVolume(VolumeRecord v) {
        Check.required("volume", v);
        VolumeSpec s = v.spec();
        Columns.name("name", s.name());
        Columns.labels("labels", s.labels());
        db.write("insertVolume", () -> new AlreadyExistsException("volume", s.name()), c -> {
            long id = insert(c, "INSERT INTO volumes (public_id, name, kind, quota_mib, capacity_mib, created_at, "
                    + "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)", v.id(), s.name(), s.kind().wireName(),
                    s.quotaMib(), s.capacityMib(), v.createdAt(), v.updatedAt());
            insertLabels(c, id, s.labels());
            return null;
        });
    }

    @Override
    public Optional<VolumeRecord> findVolume(String name) {
        Check.required("name", name);
        return db.read("findVolume", c -> first(select(c, "WHERE v.name = ? ORDER BY l.label_key", List.of(name))));
    }

    @Override
    public Optional<VolumeRecord> findVolumeById(UUID id) {
        Check.required("id", id);
        return db.read("findVolumeById",
                c -> first(select(c, "WHERE v.public_id = ? ORDER BY l.label_key", List.of(id))));
    }

    @Override
    public List<VolumeRecord> listVolumes() {
        return db.read("listVolumes", c -> select(c, "ORDER BY v.name, l.label_key", List.of()));
    }

    @Override
    public Optional<VolumeRecord> updateVolume(String name, Integer quotaMib, Map<String, String> labels,
            Instant updatedAt) {
        Check.required("name", name);
        Check.required("updatedAt", updatedAt);
        if (labels != null) {
            Columns.labels("labels", labels);
        }
        return db.write("updateVolume", null, c -> {
            List<Long> ids = query(c, "SELECT id FROM volumes WHERE name = ?", List.of(name), r -> r.getLong(1));
            if (ids.isEmpty()) {
                return Optional.<VolumeRecord>empty();
            }
            long id = ids.get(0);
            try (PreparedStatement ps = c.prepareStatement(quotaMib == null
                    ? "UPDATE volumes SET updated_at = ? WHERE id = ?"
                    : "UPDATE volumes SET updated_at = ?, quota_mib = ? WHERE id = ?")) {
                ps.setObject(1, updatedAt);
                if (quotaMib != null) {
                    setInteger(ps, 2, quotaMib);
                }
                ps.setLong(quotaMib == null ? 2 : 3, id);
                ps.executeUpdate();
            }
            if (labels != null) {
                update(c, "DELETE FROM volume_labels WHERE owner_id = ?", id);
                insertLabels(c, id, labels);
            }
            return first(select(c, "WHERE v.id = ? ORDER BY l.label_key", List.of(id)));
        });
    }

    @Override
    public boolean deleteVolume(String name) {
        Check.required("name", name);
        // labels go with it through ON DELETE CASCADE
        return db.write("deleteVolume", null, c -> update(c, "DELETE FROM volumes WHERE name = ?", name) > 0);
    }

    private static void insertLabels(Connection c, long owner, Map<String, String> labels) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO volume_labels (owner_id, label_key, label_value) VALUES (?, ?, ?)")) {
            for (Map.Entry<String, String> e : labels.entrySet()) {
                ps.setLong(1, owner);
                ps.setString(2, e.getKey());
                ps.setString(3, e.getValue());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static List<VolumeRecord> select(Connection c, String where, List<?> params) throws SQLException {
        return foldChildren(c, SELECT + where, params, r -> r.getObject(1), r -> {
            UUID id = r.getObject(1, UUID.class);
            String name = r.getString(2);
            VolumeKind kind = kind(r.getString(3));
            Integer quota = (Integer) r.getObject(4);
            Integer capacity = (Integer) r.getObject(5);
            Instant created = instant(r, 6);
            Instant updated = instant(r, 7);
            return entries -> {
                Map<String, String> labels = new LinkedHashMap<>();
                entries.forEach(e -> labels.put(e.getKey(), e.getValue()));
                return new VolumeRecord(id, new VolumeSpec(name, kind, quota, capacity, labels), created, updated);
            };
        }, r -> r.getString(8) == null ? null : Map.entry(r.getString(8), r.getString(9)));
    }

    private static VolumeKind kind(String wire) {
        for (VolumeKind k : VolumeKind.values()) {
            if (k.wireName().equals(wire)) {
                return k;
            }
        }
        throw new MsbException("database holds an unknown volume kind: " + wire + " (written by a newer msb?)");
    }
}
