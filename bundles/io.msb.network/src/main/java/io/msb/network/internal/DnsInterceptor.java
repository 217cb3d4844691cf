package io.msb.network.internal;

import java.util.concurrent.CompletableFuture;

/**
 * Answers every DNS query the guest sends to port 53 at any address (UDP payloads and TCP messages without
 * their length prefix). The stack sends the reply from the address the guest asked.
 */
public interface DnsInterceptor {
    /** The largest reply the stack forwards; a longer one is dropped. */
    int MAX_MESSAGE = 65535;

    /**
     * The reply message (NXDOMAIN/REFUSED built here for denied names), or a future completing with
     * {@code null} or exceptionally to drop the query. Must not block the caller.
     */
    CompletableFuture<byte[]> answer(byte[] query);

    /**
     * As {@link #answer(byte[])} for a query that came over {@code transport}: a UDP reply is truncated (TC
     * set) to the size the guest advertised, a TCP reply may use the whole 64 KiB.
     */
    default CompletableFuture<byte[]> answer(byte[] query, Protocol transport) {
        return answer(query);
    }
}
