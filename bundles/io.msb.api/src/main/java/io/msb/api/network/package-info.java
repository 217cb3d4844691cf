/**
 * A sandbox's network as microsandbox models it: {@link io.msb.api.network.NetworkConfig} with its
 * {@link io.msb.api.network.NetworkPolicy} (first-match rules), published ports, DNS and rate limits.
 * Every record validates itself (the error names the field and the rule) and has a dependency-free
 * {@code Map<String, Object>} form with microsandbox's JSON field names, shared by HTTP, CLI and the store.
 */
@Export
@Version("2.1.0")
package io.msb.api.network;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
