/**
 * Durable records of the platform, one store service per aggregate: {@link io.msb.api.store.SandboxStore}
 * (sandboxes and their runs) and {@link io.msb.api.store.ImageStore} (image references, manifests, layers), {@link io.msb.api.store.VolumeStore} (named volumes).
 */
@Export
@Version("2.3.0")
package io.msb.api.store;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
