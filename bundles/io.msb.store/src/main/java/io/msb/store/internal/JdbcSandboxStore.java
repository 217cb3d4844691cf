package io.msb.store.internal;

import io.msb.api.AlreadyExistsException;
import io.msb.api.LabelSelector;
import io.msb.api.MsbException;
import io.msb.api.NotFoundException;
import io.msb.api.SandboxStatus;
import io.msb.api.StillRunningException;
import io.msb.api.TerminationReason;
import io.msb.api.store.ImageRecord;
import io.msb.api.store.LayerRecord;
import io.msb.api.store.RunRecord;
import io.msb.api.store.SandboxRecord;
import io.msb.api.store.SandboxStore;
import io.msb.api.store.SnapshotRecord;
import io.msb.api.store.VolumeRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * {@link SandboxStore} over JDBC (H2 SQL dialect). Each public method runs in exactly one transaction on a
 * pooled connection. Construction applies the schema migrations.
 */
public class JdbcSandboxStore implements SandboxStore, AutoCloseable {
    private static final String SQLSTATE_DUPLICATE = "23505";

    private static final LabelTable SANDBOX_LABELS = new LabelTable("sandbox_labels");
    private static final LabelTable VOLUME_LABELS = new LabelTable("volume_labels");

    private static final String SELECT_SANDBOX_COLUMNS = "SELECT s.id, s.name, s.config_json, s.status, "
            + "s.ephemeral, s.created_at, s.updated_at, l.label_key, l.label_value ";
    private static final String SELECT_RUNS = "SELECT r.id, s.name, r.pid, r.started_at, r.terminated_at, r.reason, "
            + "r.exit_code, r.term_signal FROM runs r JOIN sandboxes s ON s.id = r.sandbox_id WHERE s.name = ? ";
    private static final String SELECT_IMAGES = "SELECT i.reference, i.manifest_digest, m.config_digest, "
            + "m.config_json, i.created_at, l.digest, l.diff_id, l.media_type, l.size_bytes "
            + "FROM images i JOIN manifests m ON m.digest = i.manifest_digest "
            + "LEFT JOIN manifest_layers ml ON ml.manifest_digest = m.digest "
            + "LEFT JOIN layers l ON l.digest = ml.layer_digest ";
    private static final String SELECT_VOLUMES = "SELECT v.id, v.name, v.path, v.size_limit_mib, v.created_at, "
            + "l.label_key, l.label_value FROM volumes v LEFT JOIN volume_labels l ON l.owner_id = v.id ";
    private static final String SELECT_SNAPSHOTS =
            "SELECT name, sandbox, path, size_bytes, created_at FROM snapshots ";

    private final DataSource dataSource;
    private final AutoCloseable closer;
    private volatile boolean closed;

    /**
     * @param dataSource pooled connections to the database
     * @param closer releases the pool; called by {@link #close()}
     */
    public JdbcSandboxStore(DataSource dataSource, AutoCloseable closer) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.closer = Objects.requireNonNull(closer, "closer");
        try {
            write("migrate", null, c -> {
                Migrations.apply(c);
                return null;
            });
        } catch (RuntimeException e) {
            // an unusable database must not stay open (and file-locked) behind a failed activation
            try {
                closer.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            closer.close();
        } catch (Exception e) {
            throw new MsbException("cannot close the store: " + e.getMessage(), e);
        }
    }

    // sandboxes

    @Override
    public void insertSandbox(SandboxRecord s) {
        checkSandbox(s);
        write("insertSandbox", () -> new AlreadyExistsException("sandbox", s.name()), c -> {
            long id;
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO sandboxes "
                    + "(name, config_json, status, ephemeral, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                    Statement.RETURN_GENERATED_KEYS)) {
                ps.setString(1, s.name());
                ps.setString(2, s.configJson());
                ps.setString(3, s.status().name());
                ps.setBoolean(4, s.ephemeral());
                ps.setObject(5, s.createdAt());
                ps.setObject(6, s.updatedAt());
                ps.executeUpdate();
                id = generatedId(ps);
            }
            SANDBOX_LABELS.insert(c, id, s.labels());
            return null;
        });
    }

    @Override
    public void updateSandbox(SandboxRecord s) {
        checkSandbox(s);
        write("updateSandbox", null, c -> {
            long id = sandboxId(c, s.name(), true);
            try (PreparedStatement ps = c.prepareStatement("UPDATE sandboxes SET config_json = ?, status = ?, "
                    + "ephemeral = ?, updated_at = ? WHERE id = ?")) {
                ps.setString(1, s.configJson());
                ps.setString(2, s.status().name());
                ps.setBoolean(3, s.ephemeral());
                ps.setObject(4, s.updatedAt());
                ps.setLong(5, id);
                ps.executeUpdate();
            }
            SANDBOX_LABELS.replace(c, id, s.labels());
            return null;
        });
    }

    @Override
    public void updateStatus(String name, SandboxStatus status, Instant at) {
        Check.name("name", name);
        Check.present("status", status);
        Check.present("at", at);
        write("updateStatus", null, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE sandboxes SET status = ?, updated_at = ? WHERE name = ?")) {
                ps.setString(1, status.name());
                ps.setObject(2, at);
                ps.setString(3, name);
                if (ps.executeUpdate() == 0) {
                    throw new NotFoundException("sandbox", name);
                }
            }
            return null;
        });
    }

    @Override
    public Optional<SandboxRecord> findSandbox(String name) {
        Check.present("name", name);
        return read("findSandbox", c -> first(querySandboxes(c, SELECT_SANDBOX_COLUMNS
                + "FROM sandboxes s LEFT JOIN sandbox_labels l ON l.owner_id = s.id "
                + "WHERE s.name = ? ORDER BY l.label_key", List.of(name))));
    }

    @Override
    public List<SandboxRecord> listSandboxes(LabelSelector selector) {
        List<Map.Entry<String, String>> required = new ArrayList<>(
                (selector == null ? LabelSelector.ALL : selector).required().entrySet());
        if (required.size() > Check.MAX_LABELS) {
            throw Check.invalid("selector",
                    "has too many entries: " + required.size() + " (max " + Check.MAX_LABELS + ")");
        }
        // Drive the query from the label index with a key=value entry (the most selective kind), check the
        // other entries per candidate with EXISTS; ordering by id rather than name keeps H2 from choosing a
        // full scan of the name index instead.
        required.sort(Map.Entry.comparingByValue(Comparator.comparing(String::isEmpty)));
        StringBuilder sql = new StringBuilder(SELECT_SANDBOX_COLUMNS);
        List<Object> params = new ArrayList<>();
        if (required.isEmpty()) {
            sql.append("FROM sandboxes s ");
        } else {
            sql.append("FROM sandbox_labels f0 JOIN sandboxes s ON s.id = f0.owner_id ");
        }
        sql.append("LEFT JOIN sandbox_labels l ON l.owner_id = s.id WHERE TRUE");
        for (int i = 0; i < required.size(); i++) {
            String f = "f" + i;
            if (i > 0) {
                sql.append(" AND EXISTS (SELECT 1 FROM sandbox_labels ").append(f)
                        .append(" WHERE ").append(f).append(".owner_id = s.id");
            }
            sql.append(" AND ").append(f).append(".label_key = ?");
            params.add(required.get(i).getKey());
            if (!required.get(i).getValue().isEmpty()) {
                sql.append(" AND ").append(f).append(".label_value = ?");
                params.add(required.get(i).getValue());
            }
            if (i > 0) {
                sql.append(')');
            }
        }
        sql.append(" ORDER BY s.id, l.label_key");
        List<SandboxRecord> found = read("listSandboxes", c -> querySandboxes(c, sql.toString(), params));
        found.sort(Comparator.comparing(SandboxRecord::name));
        return found;
    }

    @Override
    public boolean deleteSandbox(String name) {
        Check.present("name", name);
        // runs and labels go with it through ON DELETE CASCADE
        return write("deleteSandbox", null, c -> update(c, "DELETE FROM sandboxes WHERE name = ?", name) > 0);
    }

    // runs

    @Override
    public RunRecord startRun(String sandbox, long pid, Instant at, SandboxStatus status) {
        Check.name("sandbox", sandbox);
        if (pid <= 0) {
            throw Check.invalid("pid", "must be positive: " + pid);
        }
        Check.present("at", at);
        Check.present("status", status);
        return write("startRun", null, c -> {
            // the row lock serialises concurrent starts of one sandbox, so at most one run is open
            long id = sandboxId(c, sandbox, true);
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT id FROM runs WHERE sandbox_id = ? AND terminated_at IS NULL")) {
                ps.setLong(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        throw new StillRunningException(sandbox);
                    }
                }
            }
            long runId;
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO runs (sandbox_id, pid, started_at) VALUES (?, ?, ?)",
                    Statement.RETURN_GENERATED_KEYS)) {
                ps.setLong(1, id);
                ps.setLong(2, pid);
                ps.setObject(3, at);
                ps.executeUpdate();
                runId = generatedId(ps);
            }
            setStatus(c, id, status, at);
            return new RunRecord(runId, sandbox, pid, at, null, null, null, null);
        });
    }

    @Override
    public void terminateRun(long runId, TerminationReason reason, Integer exitCode, Integer signal, Instant at,
            SandboxStatus sandboxStatus) {
        Check.present("reason", reason);
        Check.present("at", at);
        Check.present("sandboxStatus", sandboxStatus);
        write("terminateRun", null, c -> {
            long sandboxId;
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT sandbox_id, terminated_at FROM runs WHERE id = ? FOR UPDATE")) {
                ps.setLong(1, runId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new NotFoundException("run", Long.toString(runId));
                    }
                    if (rs.getObject(2) != null) {
                        throw new MsbException("run " + runId + " is already terminated");
                    }
                    sandboxId = rs.getLong(1);
                }
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE runs SET terminated_at = ?, reason = ?, "
                    + "exit_code = ?, term_signal = ? WHERE id = ?")) {
                ps.setObject(1, at);
                ps.setString(2, reason.name());
                setInteger(ps, 3, exitCode);
                setInteger(ps, 4, signal);
                ps.setLong(5, runId);
                ps.executeUpdate();
            }
            setStatus(c, sandboxId, sandboxStatus, at);
            return null;
        });
    }

    @Override
    public Optional<RunRecord> latestRun(String sandbox) {
        Check.present("sandbox", sandbox);
        return read("latestRun", c -> first(query(c, SELECT_RUNS + "ORDER BY r.id DESC FETCH FIRST ROW ONLY",
                List.of(sandbox), JdbcSandboxStore::run)));
    }

    @Override
    public List<RunRecord> runs(String sandbox) {
        Check.present("sandbox", sandbox);
        return read("runs", c -> query(c, SELECT_RUNS + "ORDER BY r.id", List.of(sandbox), JdbcSandboxStore::run));
    }

    // images

    @Override
    public void saveImage(ImageRecord image) {
        checkImage(image);
        String digest = image.manifestDigest();
        write("saveImage", null, c -> {
            Optional<String> previous = first(query(c, "SELECT manifest_digest FROM images WHERE reference = ?",
                    List.of(image.reference()), rs -> rs.getString(1)));
            try (PreparedStatement ps = c.prepareStatement(
                    "MERGE INTO manifests (digest, config_digest, config_json) KEY (digest) VALUES (?, ?, ?)")) {
                ps.setString(1, digest);
                ps.setString(2, image.configDigest());
                ps.setString(3, image.configJson());
                ps.executeUpdate();
            }
            update(c, "DELETE FROM manifest_layers WHERE manifest_digest = ?", digest);
            try (PreparedStatement layer = c.prepareStatement("MERGE INTO layers (digest, diff_id, media_type, "
                    + "size_bytes) KEY (digest) VALUES (?, ?, ?, ?)");
                    PreparedStatement link = c.prepareStatement("INSERT INTO manifest_layers "
                            + "(manifest_digest, layer_index, layer_digest) VALUES (?, ?, ?)")) {
                int index = 0;
                for (LayerRecord l : image.layers()) {
                    layer.setString(1, l.digest());
                    layer.setString(2, l.diffId());
                    layer.setString(3, l.mediaType());
                    layer.setLong(4, l.size());
                    layer.addBatch();
                    link.setString(1, digest);
                    link.setInt(2, index++);
                    link.setString(3, l.digest());
                    link.addBatch();
                }
                layer.executeBatch();
                link.executeBatch();
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "MERGE INTO images (reference, manifest_digest, created_at) KEY (reference) VALUES (?, ?, ?)")) {
                ps.setString(1, image.reference());
                ps.setString(2, digest);
                ps.setObject(3, image.createdAt());
                ps.executeUpdate();
            }
            if (previous.isPresent() && !previous.get().equals(digest)) {
                collectManifest(c, previous.get());
            }
            return null;
        });
    }

    @Override
    public Optional<ImageRecord> findImage(String reference) {
        Check.present("reference", reference);
        return read("findImage", c -> first(queryImages(c,
                SELECT_IMAGES + "WHERE i.reference = ? ORDER BY ml.layer_index", List.of(reference))));
    }

    @Override
    public List<ImageRecord> listImages() {
        return read("listImages", c -> queryImages(c,
                SELECT_IMAGES + "ORDER BY i.reference, ml.layer_index", List.of()));
    }

    @Override
    public boolean deleteImage(String reference) {
        Check.present("reference", reference);
        return write("deleteImage", null, c -> {
            Optional<String> digest = first(query(c, "SELECT manifest_digest FROM images WHERE reference = ?",
                    List.of(reference), rs -> rs.getString(1)));
            if (digest.isEmpty()) {
                return false;
            }
            update(c, "DELETE FROM images WHERE reference = ?", reference);
            collectManifest(c, digest.get());
            return true;
        });
    }

    /** Drops a manifest no reference points to any more, and the layers no manifest uses. */
    private static void collectManifest(Connection c, String digest) throws SQLException {
        update(c, "DELETE FROM manifests m WHERE m.digest = ? "
                + "AND NOT EXISTS (SELECT 1 FROM images i WHERE i.manifest_digest = m.digest)", digest);
        update(c, "DELETE FROM layers l "
                + "WHERE NOT EXISTS (SELECT 1 FROM manifest_layers ml WHERE ml.layer_digest = l.digest)");
    }

    // volumes

    @Override
    public void insertVolume(VolumeRecord v) {
        Check.present("volume", v);
        Check.name("name", v.name());
        Check.required("path", v.path(), Check.PATH_CHARS);
        Check.nonNegative("sizeLimitMib", v.sizeLimitMib());
        Check.labels("labels", v.labels());
        Check.present("createdAt", v.createdAt());
        write("insertVolume", () -> new AlreadyExistsException("volume", v.name()), c -> {
            long id;
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO volumes "
                    + "(name, path, size_limit_mib, created_at) VALUES (?, ?, ?, ?)",
                    Statement.RETURN_GENERATED_KEYS)) {
                ps.setString(1, v.name());
                ps.setString(2, v.path());
                ps.setLong(3, v.sizeLimitMib());
                ps.setObject(4, v.createdAt());
                ps.executeUpdate();
                id = generatedId(ps);
            }
            VOLUME_LABELS.insert(c, id, v.labels());
            return null;
        });
    }

    @Override
    public Optional<VolumeRecord> findVolume(String name) {
        Check.present("name", name);
        return read("findVolume", c -> first(queryVolumes(c,
                SELECT_VOLUMES + "WHERE v.name = ? ORDER BY l.label_key", List.of(name))));
    }

    @Override
    public List<VolumeRecord> listVolumes() {
        return read("listVolumes", c -> queryVolumes(c,
                SELECT_VOLUMES + "ORDER BY v.name, l.label_key", List.of()));
    }

    @Override
    public boolean deleteVolume(String name) {
        Check.present("name", name);
        return write("deleteVolume", null, c -> update(c, "DELETE FROM volumes WHERE name = ?", name) > 0);
    }

    // snapshots

    @Override
    public void insertSnapshot(SnapshotRecord s) {
        Check.present("snapshot", s);
        Check.name("name", s.name());
        Check.name("sandbox", s.sandbox());
        Check.required("path", s.path(), Check.PATH_CHARS);
        Check.nonNegative("sizeBytes", s.sizeBytes());
        Check.present("createdAt", s.createdAt());
        write("insertSnapshot", () -> new AlreadyExistsException("snapshot", s.name()), c -> {
            sandboxId(c, s.sandbox(), false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO snapshots "
                    + "(name, sandbox, path, size_bytes, created_at) VALUES (?, ?, ?, ?, ?)")) {
                ps.setString(1, s.name());
                ps.setString(2, s.sandbox());
                ps.setString(3, s.path());
                ps.setLong(4, s.sizeBytes());
                ps.setObject(5, s.createdAt());
                ps.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public Optional<SnapshotRecord> findSnapshot(String name) {
        Check.present("name", name);
        return read("findSnapshot", c -> first(
                query(c, SELECT_SNAPSHOTS + "WHERE name = ?", List.of(name), JdbcSandboxStore::snapshot)));
    }

    /** @param sandbox the source sandbox's name, or null for every snapshot */
    @Override
    public List<SnapshotRecord> listSnapshots(String sandbox) {
        return read("listSnapshots", c -> sandbox == null
                ? query(c, SELECT_SNAPSHOTS + "ORDER BY name", List.of(), JdbcSandboxStore::snapshot)
                : query(c, SELECT_SNAPSHOTS + "WHERE sandbox = ? ORDER BY name", List.of(sandbox),
                        JdbcSandboxStore::snapshot));
    }

    @Override
    public boolean deleteSnapshot(String name) {
        Check.present("name", name);
        return write("deleteSnapshot", null, c -> update(c, "DELETE FROM snapshots WHERE name = ?", name) > 0);
    }

    // validation

    private static void checkSandbox(SandboxRecord s) {
        Check.present("sandbox", s);
        Check.name("name", s.name());
        Check.text("configJson", s.configJson(), Check.JSON_CHARS);
        Check.labels("labels", s.labels());
        Check.present("createdAt", s.createdAt());
        Check.present("updatedAt", s.updatedAt());
    }

    private static void checkImage(ImageRecord image) {
        Check.present("image", image);
        Check.required("reference", image.reference(), Check.REFERENCE_CHARS);
        Check.required("manifestDigest", image.manifestDigest(), Check.DIGEST_CHARS);
        Check.required("configDigest", image.configDigest(), Check.DIGEST_CHARS);
        Check.text("configJson", image.configJson(), Check.JSON_CHARS);
        Check.present("createdAt", image.createdAt());
        if (image.layers().size() > Check.MAX_LAYERS) {
            throw Check.invalid("layers",
                    "has too many entries: " + image.layers().size() + " (max " + Check.MAX_LAYERS + ")");
        }
        for (int i = 0; i < image.layers().size(); i++) {
            LayerRecord l = image.layers().get(i);
            String f = "layers[" + i + "].";
            Check.required(f + "digest", l.digest(), Check.DIGEST_CHARS);
            Check.required(f + "diffId", l.diffId(), Check.DIGEST_CHARS);
            Check.required(f + "mediaType", l.mediaType(), Check.DIGEST_CHARS);
            Check.nonNegative(f + "size", l.size());
        }
    }

    // row mapping

    private static List<SandboxRecord> querySandboxes(Connection c, String sql, List<?> params) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, params); ResultSet rs = ps.executeQuery()) {
            return fold(rs, r -> r.getLong(1), r -> {
                String name = r.getString(2);
                String json = r.getString(3);
                SandboxStatus status = enumValue(SandboxStatus.class, r.getString(4), "sandboxes.status");
                boolean ephemeral = r.getBoolean(5);
                Instant created = instant(r, 6);
                Instant updated = instant(r, 7);
                return labels -> new SandboxRecord(name, json, status, ephemeral, labels, created, updated);
            }, 8);
        }
    }

    private static List<VolumeRecord> queryVolumes(Connection c, String sql, List<?> params) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, params); ResultSet rs = ps.executeQuery()) {
            return fold(rs, r -> r.getLong(1), r -> {
                String name = r.getString(2);
                String path = r.getString(3);
                long limit = r.getLong(4);
                Instant created = instant(r, 5);
                return labels -> new VolumeRecord(name, path, limit, labels, created);
            }, 6);
        }
    }

    /** Folds parent rows LEFT JOINed with their labels (key, value at labelColumn) into one value per parent. */
    private static <T> List<T> fold(ResultSet rs, Row<Object> key, Row<Function<Map<String, String>, T>> parent,
            int labelColumn) throws SQLException {
        return foldChildren(rs, key, r -> {
            Function<Map<String, String>, T> make = parent.read(r);
            return entries -> {
                Map<String, String> labels = new LinkedHashMap<>();
                entries.forEach(e -> labels.put(e.getKey(), e.getValue()));
                return make.apply(labels);
            };
        }, r -> {
            String k = r.getString(labelColumn);
            return k == null ? null : Map.entry(k, r.getString(labelColumn + 1));
        });
    }

    /** Folds rows of a parent LEFT JOINed with its children into one value per parent, in row order. */
    private static <T, C> List<T> foldChildren(ResultSet rs, Row<Object> key, Row<Function<List<C>, T>> parent,
            Row<C> child) throws SQLException {
        List<T> out = new ArrayList<>();
        Object currentKey = null;
        Function<List<C>, T> current = null;
        List<C> children = new ArrayList<>();
        while (rs.next()) {
            Object k = key.read(rs);
            if (!k.equals(currentKey)) {
                if (current != null) {
                    out.add(current.apply(children));
                }
                currentKey = k;
                current = parent.read(rs);
                children = new ArrayList<>();
            }
            C ch = child.read(rs);
            if (ch != null) {
                children.add(ch);
            }
        }
        if (current != null) {
            out.add(current.apply(children));
        }
        return out;
    }

    private static List<ImageRecord> queryImages(Connection c, String sql, List<?> params) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, params); ResultSet rs = ps.executeQuery()) {
            return foldChildren(rs, r -> r.getString(1), r -> {
                String reference = r.getString(1);
                String manifest = r.getString(2);
                String configDigest = r.getString(3);
                String configJson = r.getString(4);
                Instant created = instant(r, 5);
                return layers -> new ImageRecord(reference, manifest, configDigest, configJson, layers, created);
            }, r -> r.getString(6) == null ? null
                    : new LayerRecord(r.getString(6), r.getString(7), r.getString(8), r.getLong(9)));
        }
    }

    private static RunRecord run(ResultSet r) throws SQLException {
        String reason = r.getString(6);
        return new RunRecord(r.getLong(1), r.getString(2), r.getLong(3), instant(r, 4), instant(r, 5),
                reason == null ? null : enumValue(TerminationReason.class, reason, "runs.reason"),
                r.getObject(7, Integer.class), r.getObject(8, Integer.class));
    }

    private static SnapshotRecord snapshot(ResultSet r) throws SQLException {
        return new SnapshotRecord(r.getString(1), r.getString(2), r.getString(3), r.getLong(4), instant(r, 5));
    }

    private static Instant instant(ResultSet r, int column) throws SQLException {
        return r.getObject(column, Instant.class);
    }

    private static <E extends Enum<E>> E enumValue(Class<E> type, String value, String column) {
        try {
            return Enum.valueOf(type, value);
        } catch (IllegalArgumentException e) {
            throw new MsbException("database holds an unknown " + type.getSimpleName() + " in " + column + ": "
                    + value + " (written by a newer msb?)", e);
        }
    }

    // plumbing

    @FunctionalInterface
    interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    @FunctionalInterface
    interface Row<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private <T> T read(String op, SqlWork<T> work) {
        return tx(op, null, work);
    }

    private <T> T write(String op, Supplier<? extends MsbException> onDuplicate, SqlWork<T> work) {
        return tx(op, onDuplicate, work);
    }

    /**
     * Runs work in one transaction. With WRITE_DELAY=0 the commit itself writes the transaction to the
     * database file before it returns (see docs/decisions/0104). A unique-key violation becomes
     * onDuplicate's exception when given; other SQL errors become an MsbException naming the operation.
     * Exceptions thrown by work roll back.
     */
    private <T> T tx(String op, Supplier<? extends MsbException> onDuplicate, SqlWork<T> work) {
        if (closed) {
            throw new MsbException("store is closed (" + op + ")");
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            T result;
            try {
                result = work.run(c);
                c.commit();
            } catch (SQLException | RuntimeException | Error e) {
                c.rollback();
                throw e;
            }
            return result;
        } catch (SQLException e) {
            if (onDuplicate != null && SQLSTATE_DUPLICATE.equals(e.getSQLState())) {
                throw onDuplicate.get();
            }
            throw new MsbException("store " + op + " failed: " + e.getMessage(), e);
        }
    }

    /** The sandbox's id, optionally row-locked until the transaction ends; NotFoundException if absent. */
    private static long sandboxId(Connection c, String name, boolean lock) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT id FROM sandboxes WHERE name = ?" + (lock ? " FOR UPDATE" : ""))) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new NotFoundException("sandbox", name);
                }
                return rs.getLong(1);
            }
        }
    }

    private static void setStatus(Connection c, long sandboxId, SandboxStatus status, Instant at)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE sandboxes SET status = ?, updated_at = ? WHERE id = ?")) {
            ps.setString(1, status.name());
            ps.setObject(2, at);
            ps.setLong(3, sandboxId);
            ps.executeUpdate();
        }
    }

    private static PreparedStatement prepare(Connection c, String sql, List<?> params) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        for (int i = 0; i < params.size(); i++) {
            ps.setObject(i + 1, params.get(i));
        }
        return ps;
    }

    private static <T> List<T> query(Connection c, String sql, List<?> params, Row<T> row) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, params); ResultSet rs = ps.executeQuery()) {
            List<T> out = new ArrayList<>();
            while (rs.next()) {
                out.add(row.read(rs));
            }
            return out;
        }
    }

    private static int update(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, List.of(params))) {
            return ps.executeUpdate();
        }
    }

    private static <T> Optional<T> first(List<T> rows) {
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }

    private static long generatedId(PreparedStatement ps) throws SQLException {
        try (ResultSet keys = ps.getGeneratedKeys()) {
            if (!keys.next()) {
                throw new SQLException("no generated key");
            }
            return keys.getLong(1);
        }
    }

    private static void setInteger(PreparedStatement ps, int index, Integer value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.INTEGER);
        } else {
            ps.setInt(index, value);
        }
    }

    /** A label table: (owner_id, label_key, label_value), owned by sandboxes or volumes. */
    private record LabelTable(String table) {
        void insert(Connection c, long owner, Map<String, String> labels) throws SQLException {
            if (labels.isEmpty()) {
                return;
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO " + table + " (owner_id, label_key, label_value) VALUES (?, ?, ?)")) {
                for (Map.Entry<String, String> e : labels.entrySet()) {
                    ps.setLong(1, owner);
                    ps.setString(2, e.getKey());
                    ps.setString(3, e.getValue());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }

        void replace(Connection c, long owner, Map<String, String> labels) throws SQLException {
            update(c, "DELETE FROM " + table + " WHERE owner_id = ?", owner);
            insert(c, owner, labels);
        }
    }
}
