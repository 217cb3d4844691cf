/**
 * Named volumes: storage msb manages under {@code $MSB_HOME/volumes}, outliving the sandboxes that mount it
 * (microsandbox's {@code VolumeSpec}: a directory shared into the guest, or an ext4 disk image).
 */
@Export
@Version("1.0.0")
package io.msb.api.volume;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
