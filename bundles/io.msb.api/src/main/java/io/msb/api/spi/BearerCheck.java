package io.msb.api.spi;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Whether a request's credential is one the msb HTTP API accepts, so that other endpoints on the same server (such as
 * {@code /metrics}) can take the same API keys without knowing where they are kept. io.msb.http registers one.
 *
 * @since 2.8
 */
@ProviderType
public interface BearerCheck {
    /** @param authorization the request's {@code Authorization} header, or null */
    boolean accepts(String authorization);
}
