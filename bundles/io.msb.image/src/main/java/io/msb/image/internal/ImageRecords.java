package io.msb.image.internal;

import io.msb.api.store.ImageRecord;
import io.msb.api.store.SandboxStore;
import java.util.List;
import java.util.Optional;

/** The image part of {@link SandboxStore}: all the image service needs to record, so it can run without the rest. */
public interface ImageRecords {
    void save(ImageRecord image);

    Optional<ImageRecord> find(String reference);

    List<ImageRecord> list();

    boolean delete(String reference);

    static ImageRecords of(SandboxStore store) {
        return new ImageRecords() {
            @Override
            public void save(ImageRecord image) {
                store.saveImage(image);
            }

            @Override
            public Optional<ImageRecord> find(String reference) {
                return store.findImage(reference);
            }

            @Override
            public List<ImageRecord> list() {
                return store.listImages();
            }

            @Override
            public boolean delete(String reference) {
                return store.deleteImage(reference);
            }
        };
    }
}
