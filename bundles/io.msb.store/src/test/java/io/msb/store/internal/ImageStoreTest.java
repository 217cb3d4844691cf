package io.msb.store.internal;

import static io.msb.store.internal.StoreFixture.T0;
import static io.msb.store.internal.StoreFixture.count;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import io.msb.api.store.ImageRecord;
import io.msb.api.store.ImageStore;
import io.msb.api.store.LayerRecord;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Image references, shared manifests and layers through {@link ImageStore}. */
class ImageStoreTest extends WithOpenStore {
    ImageStore store;

    @BeforeEach
    void images() {
        store = db.images();
    }

    private static LayerRecord layer(String id) {
        return new LayerRecord("sha256:" + id, "sha256:diff" + id, "application/vnd.oci.image.layer.v1.tar+gzip",
                id.length() * 1000L);
    }

    @Test
    void imagesWithOrderedLayers() throws Exception {
        ImageRecord alpine = new ImageRecord("docker.io/library/alpine:3", "sha256:m1", "sha256:c1", "{\"Env\":[]}",
                List.of(layer("c"), layer("a"), layer("b")), T0);
        store.saveImage(alpine);
        assertEquals(Optional.of(alpine), store.findImage("docker.io/library/alpine:3"));
        // a second reference to the same manifest shares its rows
        ImageRecord latest = new ImageRecord("docker.io/library/alpine:latest", "sha256:m1", "sha256:c1",
                "{\"Env\":[]}", alpine.layers(), T0.plusSeconds(1));
        store.saveImage(latest);
        assertEquals(List.of(alpine, latest), store.listImages());
        assertEquals(1, count(home, "SELECT COUNT(*) FROM manifests"));

        // re-pointing a reference replaces its record; the manifest stays while another reference uses it
        ImageRecord moved = new ImageRecord("docker.io/library/alpine:latest", "sha256:m2", "sha256:c2", "{}",
                List.of(layer("a"), layer("dd")), T0.plusSeconds(2));
        store.saveImage(moved);
        assertEquals(Optional.of(moved), store.findImage("docker.io/library/alpine:latest"));
        assertEquals(2, count(home, "SELECT COUNT(*) FROM manifests"));
        assertEquals(4, count(home, "SELECT COUNT(*) FROM layers"));

        assertTrue(store.deleteImage("docker.io/library/alpine:3"));
        assertFalse(store.deleteImage("docker.io/library/alpine:3"));
        // m1 and its layers b, c went with their last reference; a is still used by m2
        assertEquals(1, count(home, "SELECT COUNT(*) FROM manifests"));
        assertEquals(2, count(home, "SELECT COUNT(*) FROM layers"));
        assertEquals(List.of(moved), store.listImages());

        ImageRecord scratch = new ImageRecord("scratch:1", "sha256:m3", "sha256:c3", "{}", List.of(), T0);
        store.saveImage(scratch);
        assertEquals(Optional.of(scratch), store.findImage("scratch:1"));
        var bad = assertThrows(InvalidConfigException.class, () -> store.saveImage(new ImageRecord("x", "sha256:m",
                "sha256:c", "{}", List.of(new LayerRecord("sha256:l", "", "t", 1)), T0)));
        assertEquals("layers[0].diffId", bad.field());
    }
}
