package io.msb.volume.internal;

import io.msb.api.Check;
import io.msb.api.volume.VolumeKind;
import io.msb.api.volume.VolumeSpec;
import java.util.regex.Pattern;

/**
 * microsandbox's rules for a volume (decision 1210): the name is 1-63 characters of {@code [A-Za-z0-9._-]} and does
 * not start with {@code .} or {@code -} (so it is one path segment, never {@code .}, {@code ..} or an option, and
 * never collides with the {@code .creating-} and {@code .removing-} entries of {@link VolumeLayout}); a directory
 * volume may have a quota, a disk volume must have a capacity.
 */
final class VolumeNames {
    static final int MAX_NAME = 63;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,62}");

    private VolumeNames() {
    }

    static String name(String name) {
        Check.notEmpty("name", name, 255);
        if (!NAME.matcher(name).matches()) {
            throw Check.invalid("name", "must be 1-" + MAX_NAME + " characters of A-Z a-z 0-9 . _ - and not start "
                    + "with . or -, got '" + (name.length() > 64 ? name.substring(0, 64) + "…" : name) + "'");
        }
        return name;
    }

    static VolumeSpec spec(VolumeSpec spec, int maxCapacityMib) {
        Check.required("spec", spec);
        name(spec.name());
        spec.labels().forEach((k, v) -> {
            Check.notEmpty("labels", k, 256);
            Check.maxLength("labels[" + k + "]", v, 4096);
        });
        Check.maxSize("labels", spec.labels().keySet(), 256);
        if (spec.kind() == VolumeKind.DIRECTORY) {
            if (spec.capacityMib() != null) {
                throw Check.invalid("capacityMib", "only a disk volume has a capacity; limit a directory with quotaMib");
            }
            quota(spec.quotaMib());
        } else {
            if (spec.capacityMib() == null) {
                throw Check.invalid("capacityMib", "required for a disk volume");
            }
            Check.range("capacityMib", spec.capacityMib(), 1, maxCapacityMib);
            if (spec.quotaMib() != null) {
                throw Check.invalid("quotaMib", "a disk volume is limited by its capacityMib, not a quota");
            }
        }
        return spec;
    }

    static Integer quota(Integer quotaMib) {
        if (quotaMib != null) {
            Check.range("quotaMib", quotaMib, 1, Integer.MAX_VALUE);
        }
        return quotaMib;
    }
}
