package io.msb.network.internal.dns;

import io.msb.api.InvalidConfigException;
import io.msb.api.network.DnsConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.xbill.DNS.Message;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.SimpleResolver;

/**
 * The nameservers queries are forwarded to, tried in order: the next one is asked after a timeout or a
 * transport error, never after an answer (SERVFAIL and REFUSED are answers). dnsjava's resolvers are
 * asynchronous (one shared NIO selector thread), so nothing here blocks the caller.
 */
public final class Upstream implements Forwarder {
    /** Completions run on dnsjava's selector thread: the work after an answer is a short in-memory filter. */
    private static final Executor DIRECT = Runnable::run;
    private final List<InetSocketAddress> servers;
    private final List<SimpleResolver> resolvers;

    public Upstream(List<InetSocketAddress> servers, Duration timeout) {
        if (servers.isEmpty()) {
            throw new InvalidConfigException("dns.nameservers", "dns.nameservers: no nameserver configured "
                    + "and none found in the host's resolver configuration");
        }
        this.servers = List.copyOf(servers);
        this.resolvers = new ArrayList<>();
        for (InetSocketAddress s : servers) {
            SimpleResolver r = new SimpleResolver(s);
            r.setTimeout(timeout);
            resolvers.add(r);
        }
    }

    /**
     * The configured nameservers, or the host's (/etc/resolv.conf) if none are. A nameserver given by name is
     * looked up here, once (this runs when a sandbox's network is attached, not on the stack's threads).
     */
    public static Upstream of(DnsConfig dns) {
        List<InetSocketAddress> servers = new ArrayList<>();
        for (String entry : dns.nameservers()) {
            DnsConfig.Nameserver ns = DnsConfig.Nameserver.parse(entry);
            try {
                servers.add(new InetSocketAddress(InetAddress.getByName(ns.host()), ns.port()));
            } catch (UnknownHostException e) {
                throw new InvalidConfigException("dns.nameservers", "dns.nameservers: cannot resolve " + ns.host());
            }
        }
        if (servers.isEmpty()) {
            servers.addAll(ResolverConfig.getCurrentConfig().servers());
        }
        return new Upstream(servers, Duration.ofMillis(dns.queryTimeoutMs()));
    }

    public List<InetSocketAddress> servers() {
        return servers;
    }

    /** The first answer any nameserver gives, or a failure if every one timed out or failed. */
    @Override
    public CompletableFuture<Message> send(Message query) {
        return attempt(query, 0).toCompletableFuture();
    }

    private CompletionStage<Message> attempt(Message query, int index) {
        CompletionStage<Message> answer = resolvers.get(index).sendAsync(query, DIRECT);
        if (index + 1 == resolvers.size()) {
            return answer;
        }
        return answer.handle((m, e) -> e == null ? CompletableFuture.completedFuture(m) : attempt(query, index + 1))
                .thenCompose(s -> s);
    }
}
