/** Test doubles for msb's own tests (a bundle, so Felix tests can install them too). Not for production. */
@Export
@Version("1.2.0")
package io.msb.testing;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
