/**
 * TLS interception and strict hostname policy: guest TCP flows that must be inspected are handed by an
 * {@link io.msb.network.internal.intercept.InterceptingDialer} to the in-JVM
 * {@link io.msb.network.internal.intercept.InterceptProxy}, which reads the authority (TLS SNI, HTTP Host,
 * CONNECT target), re-decides strict policy with it, terminates TLS with the installation's CA and runs the
 * decrypted requests through the secret substitution of {@code internal.http}.
 */
package io.msb.network.internal.intercept;
