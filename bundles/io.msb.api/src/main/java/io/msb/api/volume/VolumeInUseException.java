package io.msb.api.volume;

import java.util.List;

import io.msb.api.MsbException;

/** A volume cannot be removed while sandboxes mount it. */
public class VolumeInUseException extends MsbException {
    private static final long serialVersionUID = 1L;
    private final List<String> sandboxes;

    public VolumeInUseException(String volume, List<String> sandboxes) {
        super("volume " + volume + " is in use by " + String.join(", ", sandboxes));
        this.sandboxes = List.copyOf(sandboxes);
    }

    public List<String> sandboxes() {
        return sandboxes;
    }
}
