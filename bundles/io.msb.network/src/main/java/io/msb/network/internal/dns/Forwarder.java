package io.msb.network.internal.dns;

import java.util.concurrent.CompletableFuture;
import org.xbill.DNS.Message;

/** Where allowed queries go: {@link Upstream} (the nameservers); fuzz targets answer from their input. */
public interface Forwarder {
    /** The upstream answer, or a failure (timeout, every server unreachable); never blocks. */
    CompletableFuture<Message> send(Message query);
}
