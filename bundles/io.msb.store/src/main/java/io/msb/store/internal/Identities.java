package io.msb.store.internal;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Moves every identity column's next value past the largest id its table holds. H2 stores an identity sequence's
 * reserved range in a commit of its own, made after the value was handed out and outside the sequence's lock, so
 * another thread's row with a later id can reach the file first; a kill -9 between the two leaves a committed row
 * the stored sequence has not passed, and after the restart every insert that draws that id fails as a duplicate
 * key (decision 0110). Run on every open, after the migrations; a sequence already ahead is left alone.
 */
final class Identities {
    private static final System.Logger LOG = System.getLogger(Identities.class.getName());

    private Identities() {
    }

    static void catchUp(Connection c) throws SQLException {
        List<Identity> identities = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT table_name, column_name, "
                + "identity_base FROM information_schema.columns WHERE table_schema = 'PUBLIC' "
                + "AND is_identity = 'YES'")) {
            while (rs.next()) {
                identities.add(new Identity(rs.getString(1), rs.getString(2), rs.getLong(3)));
            }
        }
        try (Statement st = c.createStatement()) {
            for (Identity identity : identities) {
                long largest;
                try (ResultSet rs = st.executeQuery("SELECT COALESCE(MAX(\"" + identity.column() + "\"), 0) FROM \""
                        + identity.table() + '"')) {
                    rs.next();
                    largest = rs.getLong(1);
                }
                if (largest >= identity.next()) {
                    st.execute("ALTER TABLE \"" + identity.table() + "\" ALTER COLUMN \"" + identity.column()
                            + "\" RESTART WITH " + (largest + 1));
                    LOG.log(System.Logger.Level.WARNING, "store: the identity of {0}.{1} would have drawn {2}, "
                            + "taken by a row committed before a crash; it now starts at {3}", identity.table(),
                            identity.column(), identity.next(), largest + 1);
                }
            }
        }
    }

    /** An identity column and the next value its sequence hands out. */
    private record Identity(String table, String column, long next) {
    }
}
