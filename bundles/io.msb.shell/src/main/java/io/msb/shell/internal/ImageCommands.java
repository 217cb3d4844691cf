package io.msb.shell.internal;

import io.msb.api.PullPolicy;
import io.msb.api.image.ImageInfo;
import io.msb.api.image.ImageReference;
import io.msb.api.image.ImageService;
import io.msb.api.image.PullEvent;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The {@code msb:} image commands; present only while an ImageService is. */
@Component(service = ImageCommands.class, property = {
    "osgi.command.scope=msb",
    "osgi.command.function=pull",
    "osgi.command.function=images",
    "osgi.command.function=rmi"})
public final class ImageCommands {
    private final ImageService images;

    @Activate
    public ImageCommands(@Reference ImageService images) {
        this.images = images;
    }

    @Descriptor("pulls an image into the local cache, showing progress")
    public void pull(
            @Descriptor("always | if-missing | never") @Parameter(names = {"-p", "--policy"}, absentValue = "always") String policy,
            @Descriptor("image reference") String reference) {
        PrintStream out = System.out; // progress arrives on download threads
        ImageInfo image = images.pull(ImageReference.parse(reference), PullPolicy.valueOf(policy.toUpperCase(Locale.ROOT).replace('-', '_')),
                event -> {
                    if (event instanceof PullEvent.Resolved r) {
                        out.println("resolved " + r.manifestDigest() + ": " + r.layerCount() + " layers, "
                                + Bytes.human(r.totalBytes()));
                    } else if (event instanceof PullEvent.LayerProgress p && p.doneBytes() == p.totalBytes()) {
                        out.println("  " + p.digest() + " " + Bytes.human(p.totalBytes()) + " done");
                    } else if (event instanceof PullEvent.Materializing) {
                        out.println("building the root filesystem");
                    }
                });
        out.println(image.reference() + " " + image.manifestDigest());
    }

    @Descriptor("lists cached images")
    public void images() {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("REFERENCE", "DIGEST", "LAYERS", "SIZE", "PULLED"));
        for (ImageInfo i : images.list()) {
            rows.add(List.of(i.reference(), shortDigest(i.manifestDigest()), Integer.toString(i.layers().size()),
                    Bytes.human(i.compressedSize()), String.valueOf(i.pulledAt())));
        }
        System.out.println(Columns.render(rows));
    }

    @Descriptor("removes cached images")
    public void rmi(@Descriptor("image references") String... references) {
        if (references.length == 0) {
            throw new IllegalArgumentException("msb:rmi needs at least one image reference");
        }
        List<ImageReference> parsed = new ArrayList<>();
        for (String reference : references) {
            parsed.add(ImageReference.parse(reference)); // all checked before any is removed
        }
        for (ImageReference reference : parsed) {
            images.remove(reference);
            System.out.println(reference.text());
        }
    }

    private static String shortDigest(String digest) {
        int colon = digest.indexOf(':');
        return digest.substring(colon + 1, Math.min(digest.length(), colon + 13));
    }
}
