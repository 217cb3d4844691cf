@Export
@Version("1.1.0")
package io.msb.api.image;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
