/**
 * Disk snapshots: a stopped sandbox's writable disk, with its spec and the digest of its image, saved as a named,
 * integrity-checked artifact under {@code $MSB_HOME/snapshots} (microsandbox's snapshot manifest, schema 1).
 */
@Export
@Version("1.1.0")
package io.msb.api.snapshot;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
