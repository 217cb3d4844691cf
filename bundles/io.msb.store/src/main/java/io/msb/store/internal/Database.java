package io.msb.store.internal;

import io.msb.api.MsbException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The one H2 database the store services of the bundle share: its connections, the schema migrations
 * (applied on construction) and one-transaction-per-call plumbing. The aggregate stores
 * ({@link JdbcSandboxStore}, {@link JdbcImageStore}) hold the SQL; this class holds none of theirs.
 */
public class Database implements AutoCloseable {
    private static final String SQLSTATE_DUPLICATE = "23505";

    private final Connections connections;
    private volatile boolean closed;

    /** Where transactions get their connection; closing it closes the database. */
    interface Connections extends AutoCloseable {
        /** Runs work on a connection of the database, which it closes (or returns to a pool) afterwards. */
        <T> T with(SqlWork<T> work) throws SQLException;

        @Override
        void close();
    }

    /**
     * Applies the schema migrations and moves identity columns past their tables' ids ({@link Identities}); on
     * failure closes the connections (an unusable database must not stay open).
     */
    public Database(Connections connections) {
        this.connections = Objects.requireNonNull(connections, "connections");
        try {
            write("migrate", null, c -> {
                Migrations.apply(c);
                Identities.catchUp(c);
                return null;
            });
        } catch (RuntimeException e) {
            try {
                connections.close();
            } catch (RuntimeException suppressed) {
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
            connections.close();
        } catch (RuntimeException e) {
            throw new MsbException("cannot close the store: " + e.getMessage(), e);
        }
    }

    @FunctionalInterface
    interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    @FunctionalInterface
    interface Row<T> {
        T read(ResultSet rs) throws SQLException;
    }

    <T> T read(String op, SqlWork<T> work) {
        return tx(op, null, work);
    }

    <T> T write(String op, Supplier<? extends MsbException> onDuplicate, SqlWork<T> work) {
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
        try {
            return connections.with(c -> {
                c.setAutoCommit(false);
                try {
                    T result = work.run(c);
                    c.commit();
                    return result;
                } catch (SQLException | RuntimeException | Error e) {
                    c.rollback();
                    throw e;
                }
            });
        } catch (SQLException e) {
            if (onDuplicate != null && SQLSTATE_DUPLICATE.equals(e.getSQLState())) {
                throw onDuplicate.get();
            }
            throw new MsbException("store " + op + " failed: " + e.getMessage(), e);
        }
    }

    // row helpers shared by the aggregate stores

    static PreparedStatement prepare(Connection c, String sql, List<?> params) throws SQLException {
        return bind(c.prepareStatement(sql), params);
    }

    private static PreparedStatement bind(PreparedStatement ps, List<?> params) throws SQLException {
        for (int i = 0; i < params.size(); i++) {
            ps.setObject(i + 1, params.get(i));
        }
        return ps;
    }

    static <T> List<T> query(Connection c, String sql, List<?> params, Row<T> row) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, params); ResultSet rs = ps.executeQuery()) {
            List<T> out = new ArrayList<>();
            while (rs.next()) {
                out.add(row.read(rs));
            }
            return out;
        }
    }

    static int update(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, List.of(params))) {
            return ps.executeUpdate();
        }
    }

    static <T> Optional<T> first(List<T> rows) {
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }

    /**
     * Runs a query of a parent LEFT JOINed with its children and folds its rows into one value per parent, in
     * row order.
     */
    static <T, C> List<T> foldChildren(Connection c, String sql, List<?> params, Row<Object> key,
            Row<Function<List<C>, T>> parent, Row<C> child) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, params); ResultSet rs = ps.executeQuery()) {
            return foldChildren(rs, key, parent, child);
        }
    }

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

    /** Runs an INSERT of one row and returns the id the database generated for it; a null parameter is SQL NULL. */
    static long insert(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = bind(c.prepareStatement(sql, Statement.RETURN_GENERATED_KEYS),
                java.util.Arrays.asList(params))) {
            ps.executeUpdate();
            try (ResultSet keys = ps.getGeneratedKeys()) {
                if (!keys.next()) {
                    throw new SQLException("no generated key");
                }
                return keys.getLong(1);
            }
        }
    }

    static void setInteger(PreparedStatement ps, int index, Integer value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.INTEGER);
        } else {
            ps.setInt(index, value);
        }
    }

    static Instant instant(ResultSet r, int column) throws SQLException {
        return r.getObject(column, Instant.class);
    }

    static <E extends Enum<E>> E enumValue(Class<E> type, String value, String column) {
        try {
            return Enum.valueOf(type, value);
        } catch (IllegalArgumentException e) {
            throw new MsbException("database holds an unknown " + type.getSimpleName() + " in " + column + ": "
                    + value + " (written by a newer msb?)", e);
        }
    }
}
