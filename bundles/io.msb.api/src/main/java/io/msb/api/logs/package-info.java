/**
 * A sandbox's stored logs: what its exec sessions wrote ({@link io.msb.api.logs.LogSource}) and its lifecycle
 * markers, read from a {@link io.msb.api.logs.LogCursor} (microsandbox's resume handle, byte for byte) and
 * followed while the sandbox runs ({@link io.msb.api.logs.LogStream}).
 */
@Export
@Version("1.0.0")
package io.msb.api.logs;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
