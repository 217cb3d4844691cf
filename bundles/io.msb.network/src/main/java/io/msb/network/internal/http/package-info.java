/** HTTP/1.1 requests from the guest, parsed as a bounded stream: secret placeholders substituted, violations acted on. */
package io.msb.network.internal.http;
