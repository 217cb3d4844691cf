@Export
@Version("2.8.0")
package io.msb.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
