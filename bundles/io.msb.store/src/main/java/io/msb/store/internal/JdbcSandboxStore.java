package io.msb.store.internal;

import static io.msb.store.internal.Database.enumValue;
import static io.msb.store.internal.Database.first;
import static io.msb.store.internal.Database.foldChildren;
import static io.msb.store.internal.Database.insert;
import static io.msb.store.internal.Database.instant;
import static io.msb.store.internal.Database.query;
import static io.msb.store.internal.Database.setInteger;
import static io.msb.store.internal.Database.update;

import io.msb.api.AlreadyExistsException;
import io.msb.api.Check;
import io.msb.api.LabelSelector;
import io.msb.api.MsbException;
import io.msb.api.NotFoundException;
import io.msb.api.SandboxStatus;
import io.msb.api.StillRunningException;
import io.msb.api.TerminationReason;
import io.msb.api.store.RunRecord;
import io.msb.api.store.SandboxRecord;
import io.msb.api.store.SandboxStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * {@link SandboxStore} over the bundle's shared {@link Database}: sandboxes, their labels and their runs. Each
 * public method runs in exactly one transaction.
 */
public class JdbcSandboxStore implements SandboxStore {
    private static final String SELECT_SANDBOX_COLUMNS = "SELECT s.id, s.name, s.config_json, s.status, "
            + "s.ephemeral, s.created_at, s.updated_at, l.label_key, l.label_value, s.public_id ";
    private static final String FROM_SANDBOX_WITH_LABELS = "FROM sandboxes s LEFT JOIN sandbox_labels l "
            + "ON l.owner_id = s.id ";
    private static final String SELECT_RUNS = "SELECT r.id, s.name, r.pid, r.started_at, r.terminated_at, r.reason, "
            + "r.exit_code, r.term_signal FROM runs r JOIN sandboxes s ON s.id = r.sandbox_id WHERE s.name = ? ";

    private final Database db;

    public JdbcSandboxStore(Database db) {
        this.db = Objects.requireNonNull(db, "db");
    }

    // sandboxes

    @Override
    public void insertSandbox(SandboxRecord s) {
        checkSandbox(s);
        db.write("insertSandbox", () -> new AlreadyExistsException("sandbox", s.name()), c -> {
            long id = insert(c, "INSERT INTO sandboxes (public_id, name, config_json, status, ephemeral, created_at, "
                    + "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)", s.id(), s.name(), s.configJson(), s.status().name(),
                    s.ephemeral(), s.createdAt(), s.updatedAt());
            insertLabels(c, id, s.labels());
            return null;
        });
    }

    @Override
    public void updateStatus(String name, SandboxStatus status, Instant at) {
        Columns.name("name", name);
        Check.required("status", status);
        Check.required("at", at);
        updateNamed("updateStatus", name, "UPDATE sandboxes SET status = ?, updated_at = ? WHERE name = ?",
                status.name(), at, name);
    }

    @Override
    public void updateConfig(String name, String configJson) {
        Columns.name("name", name);
        Columns.text("configJson", configJson, Columns.JSON_CHARS);
        updateNamed("updateConfig", name, "UPDATE sandboxes SET config_json = ? WHERE name = ?", configJson, name);
    }

    /** Runs one UPDATE of the named sandbox's row in a transaction of its own; NotFoundException if none. */
    private void updateNamed(String op, String name, String sql, Object... params) {
        db.write(op, null, c -> {
            if (update(c, sql, params) == 0) {
                throw new NotFoundException("sandbox", name);
            }
            return null;
        });
    }

    @Override
    public Optional<SandboxRecord> findSandbox(String name) {
        Check.required("name", name);
        return db.read("findSandbox", c -> first(querySandboxes(c, SELECT_SANDBOX_COLUMNS + FROM_SANDBOX_WITH_LABELS
                + "WHERE s.name = ? ORDER BY l.label_key", List.of(name))));
    }

    @Override
    public Optional<SandboxRecord> findSandboxById(UUID id) {
        Check.required("id", id);
        return db.read("findSandboxById", c -> first(querySandboxes(c, SELECT_SANDBOX_COLUMNS + FROM_SANDBOX_WITH_LABELS
                + "WHERE s.public_id = ? ORDER BY l.label_key", List.of(id))));
    }

    @Override
    public List<SandboxRecord> listSandboxes(LabelSelector selector) {
        List<Object> params = new ArrayList<>();
        // Ordering by id rather than name keeps H2 from choosing a full scan of the name index instead of the
        // label index.
        String sql = SELECT_SANDBOX_COLUMNS + "FROM " + matching(selector,
                " LEFT JOIN sandbox_labels l ON l.owner_id = s.id", params) + " ORDER BY s.id, l.label_key";
        List<SandboxRecord> found = db.read("listSandboxes", c -> querySandboxes(c, sql, params));
        found.sort(Comparator.comparing(SandboxRecord::name));
        return found;
    }

    @Override
    public List<SandboxRecord> listSandboxes(LabelSelector selector, String afterName, int limit) {
        if (limit < 1) {
            throw Check.invalid("limit", "must be at least 1: " + limit);
        }
        // Two steps in one transaction: the page's sandbox ids by keyset on the unique name index (the label
        // join repeats a sandbox once per label, so it cannot be limited itself), then those rows with labels.
        List<Object> params = new ArrayList<>();
        StringBuilder ids = new StringBuilder("SELECT s.id FROM ").append(matching(selector, "", params));
        if (afterName != null) {
            ids.append(" AND s.name > ?");
            params.add(afterName);
        }
        ids.append(" ORDER BY s.name FETCH FIRST ? ROWS ONLY");
        params.add(limit);
        return db.read("listSandboxesPage", c -> {
            List<Long> page = query(c, ids.toString(), params, rs -> rs.getLong(1));
            if (page.isEmpty()) {
                return List.of();
            }
            List<SandboxRecord> found = querySandboxes(c, SELECT_SANDBOX_COLUMNS + FROM_SANDBOX_WITH_LABELS
                    + "WHERE s.id IN (" + "?, ".repeat(page.size() - 1) + "?) ORDER BY s.id, l.label_key", page);
            found.sort(Comparator.comparing(SandboxRecord::name));
            return found;
        });
    }

    /**
     * {@code <tables> <join> WHERE <conditions>} of the sandboxes (alias {@code s}) the selector matches, its
     * parameters added to {@code params}. The query is driven from the label index with a key=value entry (the most
     * selective kind); the other entries are checked per candidate with EXISTS.
     */
    private static String matching(LabelSelector selector, String join, List<Object> params) {
        List<Map.Entry<String, String>> required = new ArrayList<>(
                (selector == null ? LabelSelector.ALL : selector).required().entrySet());
        if (required.size() > Columns.MAX_LABELS) {
            throw Check.invalid("selector",
                    "has too many entries: " + required.size() + " (max " + Columns.MAX_LABELS + ")");
        }
        required.sort(Map.Entry.comparingByValue(Comparator.comparing(String::isEmpty)));
        StringBuilder sql = new StringBuilder(required.isEmpty() ? "sandboxes s"
                : "sandbox_labels f0 JOIN sandboxes s ON s.id = f0.owner_id");
        sql.append(join).append(" WHERE TRUE");
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
        return sql.toString();
    }

    @Override
    public boolean deleteSandbox(String name) {
        Check.required("name", name);
        // runs and labels go with it through ON DELETE CASCADE
        return db.write("deleteSandbox", null, c -> update(c, "DELETE FROM sandboxes WHERE name = ?", name) > 0);
    }

    // runs

    @Override
    public RunRecord startRun(String sandbox, long pid, Instant at, SandboxStatus status) {
        Columns.name("sandbox", sandbox);
        if (pid <= 0) {
            throw Check.invalid("pid", "must be positive: " + pid);
        }
        Check.required("at", at);
        Check.required("status", status);
        return db.write("startRun", null, c -> {
            // the row lock serialises concurrent starts of one sandbox, so at most one run is open
            long id = sandboxId(c, sandbox, true);
            if (!query(c, "SELECT id FROM runs WHERE sandbox_id = ? AND terminated_at IS NULL", List.of(id),
                    rs -> rs.getLong(1)).isEmpty()) {
                throw new StillRunningException(sandbox);
            }
            long runId = insert(c, "INSERT INTO runs (sandbox_id, pid, started_at) VALUES (?, ?, ?)", id, pid, at);
            setStatus(c, id, status, at);
            return new RunRecord(runId, sandbox, pid, at, null, null, null, null);
        });
    }

    @Override
    public void terminateRun(long runId, TerminationReason reason, Integer exitCode, Integer signal, Instant at,
            SandboxStatus sandboxStatus) {
        Check.required("reason", reason);
        Check.required("at", at);
        Check.required("sandboxStatus", sandboxStatus);
        db.write("terminateRun", null, c -> {
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
        Check.required("sandbox", sandbox);
        return db.read("latestRun", c -> first(query(c, SELECT_RUNS + "ORDER BY r.id DESC FETCH FIRST ROW ONLY",
                List.of(sandbox), JdbcSandboxStore::run)));
    }

    @Override
    public List<RunRecord> runs(String sandbox) {
        Check.required("sandbox", sandbox);
        return db.read("runs", c -> query(c, SELECT_RUNS + "ORDER BY r.id", List.of(sandbox), JdbcSandboxStore::run));
    }

    // validation

    private static void checkSandbox(SandboxRecord s) {
        Check.required("sandbox", s);
        Columns.name("name", s.name());
        Columns.text("configJson", s.configJson(), Columns.JSON_CHARS);
        Columns.labels("labels", s.labels());
        Check.required("createdAt", s.createdAt());
        Check.required("updatedAt", s.updatedAt());
    }

    // row mapping

    private static List<SandboxRecord> querySandboxes(Connection c, String sql, List<?> params) throws SQLException {
        return foldChildren(c, sql, params, r -> r.getLong(1), r -> {
            String name = r.getString(2);
            String json = r.getString(3);
            SandboxStatus status = enumValue(SandboxStatus.class, r.getString(4), "sandboxes.status");
            boolean ephemeral = r.getBoolean(5);
            Instant created = instant(r, 6);
            Instant updated = instant(r, 7);
            UUID id = r.getObject(10, UUID.class);
            return entries -> {
                Map<String, String> labels = new LinkedHashMap<>();
                entries.forEach(e -> labels.put(e.getKey(), e.getValue()));
                return new SandboxRecord(id, name, json, status, ephemeral, labels, created, updated);
            };
        }, r -> {
            String key = r.getString(8);
            return key == null ? null : Map.entry(key, r.getString(9));
        });
    }

    private static RunRecord run(ResultSet r) throws SQLException {
        String reason = r.getString(6);
        return new RunRecord(r.getLong(1), r.getString(2), r.getLong(3), instant(r, 4), instant(r, 5),
                reason == null ? null : enumValue(TerminationReason.class, reason, "runs.reason"),
                r.getObject(7, Integer.class), r.getObject(8, Integer.class));
    }

    /** The sandbox's id, optionally row-locked until the transaction ends; NotFoundException if absent. */
    private static long sandboxId(Connection c, String name, boolean lock) throws SQLException {
        return first(query(c, "SELECT id FROM sandboxes WHERE name = ?" + (lock ? " FOR UPDATE" : ""), List.of(name),
                rs -> rs.getLong(1))).orElseThrow(() -> new NotFoundException("sandbox", name));
    }

    private static void setStatus(Connection c, long sandboxId, SandboxStatus status, Instant at)
            throws SQLException {
        update(c, "UPDATE sandboxes SET status = ?, updated_at = ? WHERE id = ?", status.name(), at, sandboxId);
    }

    private static void insertLabels(Connection c, long sandboxId, Map<String, String> labels) throws SQLException {
        if (labels.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO sandbox_labels (owner_id, label_key, label_value) VALUES (?, ?, ?)")) {
            for (Map.Entry<String, String> e : labels.entrySet()) {
                ps.setLong(1, sandboxId);
                ps.setString(2, e.getKey());
                ps.setString(3, e.getValue());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }
}
