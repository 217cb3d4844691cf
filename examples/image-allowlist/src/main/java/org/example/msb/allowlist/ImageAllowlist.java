package org.example.msb.allowlist;

import io.msb.api.RootfsSource;
import io.msb.api.SandboxSpec;
import io.msb.api.spi.Admission;
import io.msb.api.spi.SandboxAdmission;
import java.util.Arrays;
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;

/**
 * An admission policy as a third party writes one, against msb's published API and SPI only: images outside the
 * allow-list are refused, every admitted sandbox is labelled with its owner.
 */
@Component(configurationPid = AllowlistConfig.PID)
@Designate(ocd = AllowlistConfig.class)
public final class ImageAllowlist implements SandboxAdmission {
    /** A configuration is applied as a whole: a create sees the old one or the new one. */
    private volatile AllowlistConfig config;

    @Activate
    public ImageAllowlist(AllowlistConfig config) {
        this.config = config;
    }

    @Modified
    void modified(AllowlistConfig next) {
        config = next;
    }

    @Override
    public String name() {
        return "image-allowlist";
    }

    @Override
    public Admission admit(SandboxSpec spec) {
        AllowlistConfig c = config;
        List<String> allowed = Arrays.stream(c.allowedImagePrefixes()).map(String::strip).filter(p -> !p.isEmpty())
                .toList();
        if (spec.rootfs() instanceof RootfsSource.OciImage image) {
            String reference = image.reference().toString();
            if (allowed.stream().noneMatch(reference::startsWith)) {
                return Admission.refuse("image", reference + " is not in the allow-list (allowed prefixes: "
                        + String.join(", ", allowed) + ")");
            }
        } else if (spec.rootfs() != null) {
            return Admission.refuse("image", "only images from the allow-list are allowed, not a host directory or"
                    + " disk image");
        } // no rootfs: the sandbox comes from a snapshot, whose image was admitted when its sandbox was created
        String owner = c.ownerLabelValue().strip();
        return Admission.admit(owner.isEmpty() ? spec : spec.toBuilder().label(c.ownerLabelKey(), owner).build());
    }
}
