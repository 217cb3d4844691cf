package io.msb.network.internal.stack;

import io.msb.network.internal.DnsInterceptor;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** Test-only interceptor: records queries and answers each with the query bytes, the QR bit set. */
final class FixedAnswerDnsForTests implements DnsInterceptor {
    final List<byte[]> queries = new CopyOnWriteArrayList<>();

    @Override
    public CompletableFuture<byte[]> answer(byte[] query) {
        queries.add(query);
        if (query.length < 12) {
            return CompletableFuture.completedFuture(null);
        }
        byte[] reply = query.clone();
        reply[2] |= (byte) 0x80;
        return CompletableFuture.supplyAsync(() -> reply);
    }
}
