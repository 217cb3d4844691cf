package io.msb.store.internal;

import static io.msb.store.internal.Database.first;
import static io.msb.store.internal.Database.foldChildren;
import static io.msb.store.internal.Database.instant;
import static io.msb.store.internal.Database.query;
import static io.msb.store.internal.Database.update;

import io.msb.api.Check;
import io.msb.api.store.ImageRecord;
import io.msb.api.store.ImageStore;
import io.msb.api.store.LayerRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link ImageStore} over the bundle's shared {@link Database}: image references, the content-addressed manifests
 * they point to and their layers. Each public method runs in exactly one transaction.
 */
public class JdbcImageStore implements ImageStore {
    private static final String SELECT_IMAGES = "SELECT i.reference, i.manifest_digest, m.config_digest, "
            + "m.config_json, i.created_at, l.digest, l.diff_id, l.media_type, l.size_bytes "
            + "FROM images i JOIN manifests m ON m.digest = i.manifest_digest "
            + "LEFT JOIN manifest_layers ml ON ml.manifest_digest = m.digest "
            + "LEFT JOIN layers l ON l.digest = ml.layer_digest ";

    private final Database db;

    public JdbcImageStore(Database db) {
        this.db = Objects.requireNonNull(db, "db");
    }

    @Override
    public void saveImage(ImageRecord image) {
        checkImage(image);
        String digest = image.manifestDigest();
        db.write("saveImage", null, c -> {
            Optional<String> previous = manifestOf(c, image.reference());
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
        Check.required("reference", reference);
        return db.read("findImage", c -> first(queryImages(c,
                SELECT_IMAGES + "WHERE i.reference = ? ORDER BY ml.layer_index", List.of(reference))));
    }

    @Override
    public List<ImageRecord> listImages() {
        return db.read("listImages", c -> queryImages(c,
                SELECT_IMAGES + "ORDER BY i.reference, ml.layer_index", List.of()));
    }

    @Override
    public boolean deleteImage(String reference) {
        Check.required("reference", reference);
        return db.write("deleteImage", null, c -> {
            Optional<String> digest = manifestOf(c, reference);
            if (digest.isEmpty()) {
                return false;
            }
            update(c, "DELETE FROM images WHERE reference = ?", reference);
            collectManifest(c, digest.get());
            return true;
        });
    }

    /** The digest of the manifest the reference points to. */
    private static Optional<String> manifestOf(Connection c, String reference) throws SQLException {
        return first(query(c, "SELECT manifest_digest FROM images WHERE reference = ?", List.of(reference),
                rs -> rs.getString(1)));
    }

    /** Drops a manifest no reference points to any more, and the layers no manifest uses. */
    private static void collectManifest(Connection c, String digest) throws SQLException {
        update(c, "DELETE FROM manifests m WHERE m.digest = ? "
                + "AND NOT EXISTS (SELECT 1 FROM images i WHERE i.manifest_digest = m.digest)", digest);
        update(c, "DELETE FROM layers l "
                + "WHERE NOT EXISTS (SELECT 1 FROM manifest_layers ml WHERE ml.layer_digest = l.digest)");
    }

    private static void checkImage(ImageRecord image) {
        Check.required("image", image);
        Columns.nonEmpty("reference", image.reference(), Columns.REFERENCE_CHARS);
        Columns.nonEmpty("manifestDigest", image.manifestDigest(), Columns.DIGEST_CHARS);
        Columns.nonEmpty("configDigest", image.configDigest(), Columns.DIGEST_CHARS);
        Columns.text("configJson", image.configJson(), Columns.JSON_CHARS);
        Check.required("createdAt", image.createdAt());
        if (image.layers().size() > Columns.MAX_LAYERS) {
            throw Check.invalid("layers",
                    "has too many entries: " + image.layers().size() + " (max " + Columns.MAX_LAYERS + ")");
        }
        for (int i = 0; i < image.layers().size(); i++) {
            LayerRecord l = image.layers().get(i);
            String f = "layers[" + i + "].";
            Columns.nonEmpty(f + "digest", l.digest(), Columns.DIGEST_CHARS);
            Columns.nonEmpty(f + "diffId", l.diffId(), Columns.DIGEST_CHARS);
            Columns.nonEmpty(f + "mediaType", l.mediaType(), Columns.DIGEST_CHARS);
            Check.nonNegative(f + "size", l.size());
        }
    }

    private static List<ImageRecord> queryImages(Connection c, String sql, List<?> params) throws SQLException {
        return foldChildren(c, sql, params, r -> r.getString(1), r -> {
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
