/**
 * microsandbox's network model. Started by the network stack with the minimal shape it needs (published
 * ports, limits, default actions); the policy rules, DNS settings and the map form come with the policy
 * engine.
 */
@Export
@Version("1.0.0")
package io.msb.api.network;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
