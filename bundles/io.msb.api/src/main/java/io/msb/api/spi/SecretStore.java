package io.msb.api.spi;

import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Where secret values live on the server, encrypted at rest, so that no record (sandbox spec, log, snapshot)
 * holds one in clear text: a sandbox's spec keeps only {@code {"type":"store","reference":REF}}.
 */
@ProviderType
public interface SecretStore {
    /** Keeps {@code value} under {@code reference}, replacing what was there. */
    void put(String reference, String value);

    /** The value under {@code reference}, or empty. */
    Optional<String> get(String reference);

    /** Forgets every value whose reference starts with {@code prefix}. */
    void removeAll(String prefix);
}
