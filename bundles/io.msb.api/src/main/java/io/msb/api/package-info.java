@Export
@Version("2.7.0")
package io.msb.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
