package io.msb.network.internal.intercept;

import io.msb.api.network.SecretEntry;
import io.msb.api.network.ViolationAction;
import io.msb.network.internal.http.Refusal;
import io.msb.network.internal.http.RequestRewriter;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One inspected flow, served on a proxy thread: reads what the guest says first (a TLS ClientHello, else an HTTP
 * request), lets strict policy look at its authority, then splices it to the real destination, or terminates
 * its TLS and forwards its requests through the secret substitution. Responses go back unchanged on a second
 * thread. Any failure closes both sides; a refused request gets its answer first.
 */
final class InterceptedFlow implements RequestRewriter.Policy {
    private static final System.Logger LOG = System.getLogger(InterceptedFlow.class.getName());
    /** How long the guest may take to say its first bytes (a client that waits for the server never will). */
    static final int FIRST_BYTES_TIMEOUT_MS = 30_000;
    /** Responses still on their way once the guest is done sending; a server that never ends is not waited for. */
    static final long RESPONSE_LINGER_SECONDS = 120;

    private final Flow flow;
    private final SandboxIntercept sandbox;
    private final Socket guest;
    private final InterceptProxy proxy;
    /** Whoever writes to the guest holds this: responses and a refusal never interleave mid-write. */
    private final Object guestWrites = new Object();
    private Socket upstream;
    /** Strict policy has refused the flow (and recorded why). */
    private boolean denied;
    /** Strict policy has seen an allowed authority: failures from here on are not its refusals. */
    private boolean authorized;
    /** ... and it was the TLS server name, which then stands for requests that name no Host (HTTP/1.0). */
    private boolean serverNameAuthorized;
    private CompletableFuture<Void> responses = CompletableFuture.completedFuture(null);
    /** Some response bytes went to the guest (written under {@link #guestWrites}). */
    private boolean answered;
    /** The guest's side was ended by {@link #end} (under {@link #guestWrites}). */
    private boolean ended;
    /** A violation asked for the sandbox to stop: asked once the guest has had its 403 (stopping may close it). */
    private String termination;

    InterceptedFlow(Flow flow, Socket guest, InterceptProxy proxy) {
        this.flow = flow;
        this.sandbox = flow.sandbox();
        this.guest = guest;
        this.proxy = proxy;
    }

    void run() {
        if (!sandbox.track(guest)) {
            InterceptProxy.closeQuietly(guest);
            return;
        }
        try {
            guest.setTcpNoDelay(true);
            guest.setSoTimeout(FIRST_BYTES_TIMEOUT_MS);
            BufferedInputStream in = new BufferedInputStream(guest.getInputStream(), 16 * 1024);
            in.mark(1);
            int first = in.read();
            if (first < 0) {
                return;
            }
            in.reset();
            if (ClientHello.startsTls(first)) {
                tls(in);
            } else if (flow.needsAuthority()) {
                guest.setSoTimeout(0);
                http(in, guest, null);
            } else {
                guest.setSoTimeout(0);
                splice(new byte[0], in);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> "network: sandbox " + sandbox.name + ": flow to "
                    + flow.target() + " ended: " + e);
            if (flow.needsAuthority() && !authorized && !denied) {
                sandbox.deny(SandboxIntercept.STRICT_TCP, flow, null); // it never said where it was going
            }
        } finally {
            InterceptProxy.closeQuietly(upstream);
            InterceptProxy.closeQuietly(guest);
            sandbox.untrack(guest);
        }
    }

    private void tls(BufferedInputStream in) throws IOException {
        ClientHello hello = ClientHello.read(in);
        byte[] consumed = concat(hello.bytes(), in.readNBytes(in.available()));
        String sni = hello.serverName();
        boolean intercept = flow.intercepted() && (sni == null || !sandbox.config.tls().bypasses(sni));
        if (flow.needsAuthority() && (sni == null || !sandbox.policy.allowsAuthority(flow.destination(),
                flow.port(), sni))) {
            denied = true;
            sandbox.deny(intercept ? SandboxIntercept.STRICT_TCP : SandboxIntercept.STRICT_BYPASS, flow, sni);
            return;
        }
        authorized = true;
        serverNameAuthorized = sni != null;
        guest.setSoTimeout(0);
        if (!intercept) {
            splice(consumed, in);
            return;
        }
        String address = flow.upstream().getAddress().getHostAddress();
        try {
            upstream = sandbox.dialUpstream(flow.upstream()); // closed by run() if TLS on it fails
            upstream = sandbox.tls.connectUpstream(upstream, sni, address, flow.port(), hello.protocols());
        } catch (IOException e) {
            // the guest's handshake has not been answered: closing it is the failure it sees
            LOG.log(System.Logger.Level.INFO, "network: sandbox " + sandbox.name + ": upstream TLS to "
                    + (sni == null ? address : sni) + " at " + flow.target() + " failed: " + e.getMessage());
            return;
        }
        String name = sni != null ? sni : flow.destination().getHostAddress();
        String chosen = ((javax.net.ssl.SSLSocket) upstream).getApplicationProtocol();
        javax.net.ssl.SSLSocket tlsGuest = sandbox.tls.acceptGuest(guest, consumed, name, chosen);
        if (SandboxTls.H2.equals(tlsGuest.getApplicationProtocol()) && SandboxTls.H2.equals(chosen)) {
            h2(tlsGuest, name);
        } else {
            http(tlsGuest.getInputStream(), tlsGuest, name);
        }
    }

    /**
     * Relays HTTP/2 both ways (decision 1309): the guest's frames through the relay (header fields substituted, a
     * refused stream answered on its own), the server's back on a proxy thread. A refusal that asks for the
     * sandbox's termination ends the flow first.
     */
    private void h2(Socket to, String tlsName) throws IOException {
        OutputStream out = to.getOutputStream();
        Http2Relay relay = new Http2Relay(new RequestRewriter(sandbox.config.secrets(), tlsName, this), frames -> {
            synchronized (guestWrites) {
                if (ended) {
                    throw new IOException("the guest's side has ended");
                }
                answered = true;
                out.write(frames);
                out.flush();
            }
        }, () -> termination != null);
        Socket from = upstream;
        responses = new CompletableFuture<>();
        proxy.execute(() -> {
            try {
                relay.responses(from.getInputStream());
                halfClose(to);
            } catch (IOException | RuntimeException e) {
                end(to, null);
            } finally {
                responses.complete(null);
            }
        });
        try {
            relay.requests(to.getInputStream(), upstream.getOutputStream());
            halfClose(upstream);
            awaitResponses();
        } catch (Http2Relay.EndFlow e) {
            end(to, null);
            InterceptProxy.closeQuietly(upstream);
            sandbox.terminate(termination);
        }
    }

    /**
     * Forwards the guest's requests (plain, or decrypted from {@code to}) through the secret substitution. Plain
     * HTTP dials upstream only when the first request may go (strict policy has looked at it by then). An upstream
     * that fails before it answered anything gets the guest a 502.
     */
    private void http(InputStream in, Socket to, String tlsName) throws IOException {
        OutputStream toUpstream = new OutputStream() {
            private OutputStream out;

            private OutputStream out() throws IOException {
                if (out == null) {
                    if (upstream == null) {
                        upstream = sandbox.dialUpstream(flow.upstream());
                    }
                    out = upstream.getOutputStream();
                    pumpResponses(upstream, to, true);
                }
                return out;
            }

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                try {
                    out().write(b, off, len);
                } catch (IOException e) {
                    throw new UpstreamFailed(e);
                }
            }

            @Override
            public void flush() throws IOException {
                try {
                    out().flush();
                } catch (IOException e) {
                    throw new UpstreamFailed(e);
                }
            }
        };
        try {
            new RequestRewriter(sandbox.config.secrets(), tlsName, this).forward(in, toUpstream, interim -> {
                synchronized (guestWrites) {
                    to.getOutputStream().write(interim);
                    to.getOutputStream().flush();
                }
            });
            halfClose(upstream);
            awaitResponses();
        } catch (Refusal r) {
            if (flow.needsAuthority() && !authorized && !denied) {
                sandbox.deny(SandboxIntercept.STRICT_TCP, flow, null); // not HTTP: no authority to look at
            }
            end(to, r); // first: closing upstream makes the response thread end the guest too
            InterceptProxy.closeQuietly(upstream); // whatever it got of this request must not complete
            if (termination != null) {
                sandbox.terminate(termination);
            }
        } catch (UpstreamFailed e) {
            end(to, badGateway(e.getCause()));
            InterceptProxy.closeQuietly(upstream);
        }
    }

    /** An upstream write failed (not the guest's read). */
    private static final class UpstreamFailed extends IOException {
        private static final long serialVersionUID = 1L;

        UpstreamFailed(IOException cause) {
            super(cause);
        }
    }

    private static Refusal badGateway(Throwable cause) {
        return new Refusal(502, "msb: the upstream server failed: " + cause.getClass().getSimpleName());
    }

    /**
     * Ends the guest's side once, whichever thread gets there first: {@code r} is its last answer (a 502 only if it
     * has had no response bytes, which it would garble), then the connection closes.
     */
    private void end(Socket to, Refusal r) {
        synchronized (guestWrites) {
            if (ended) {
                return;
            }
            ended = true;
            if (r != null && !(r.status() == 502 && answered)) {
                try {
                    to.getOutputStream().write(r.response());
                    to.getOutputStream().flush();
                } catch (IOException e) {
                    // the guest has gone: nothing to tell it
                }
            }
            InterceptProxy.closeQuietly(to);
        }
    }

    private void awaitResponses() {
        try {
            responses.get(RESPONSE_LINGER_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // closing both sides is all that is left
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Copies the upstream's bytes to the guest on a proxy thread. If upstream fails, the guest is ended (it must not
     * wait for an answer that will not come), with a 502 if {@code http} and it has had nothing yet.
     */
    private void pumpResponses(Socket from, Socket to, boolean http) {
        responses = new CompletableFuture<>();
        proxy.execute(() -> {
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                byte[] buf = new byte[16 * 1024];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    synchronized (guestWrites) {
                        answered = true;
                        out.write(buf, 0, n);
                        out.flush();
                    }
                }
                halfClose(to);
            } catch (IOException | RuntimeException e) {
                end(to, http ? badGateway(e) : null);
            } finally {
                responses.complete(null);
            }
        });
    }

    /** Copies the guest's bytes (those read already first) to the real destination unchanged, both ways. */
    private void splice(byte[] prefix, InputStream in) throws IOException {
        upstream = sandbox.dialUpstream(flow.upstream());
        pumpResponses(upstream, guest, false);
        OutputStream out = upstream.getOutputStream();
        out.write(prefix);
        byte[] buf = new byte[16 * 1024];
        int n;
        while ((n = in.read(buf)) >= 0) {
            out.write(buf, 0, n);
            out.flush();
        }
        halfClose(upstream);
        awaitResponses();
    }

    /** Ends our side of a socket (TLS: close_notify) and lets the peer's answer still come back. */
    private static void halfClose(Socket s) {
        if (s == null) {
            return;
        }
        try {
            s.shutdownOutput();
        } catch (IOException | UnsupportedOperationException e) {
            // a TLS 1.2 peer cannot half-close: it gets the whole close when the flow ends
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    // ---- what the rewriter asks

    @Override
    public void authority(String host, boolean connect) throws Refusal {
        if (!flow.needsAuthority() || host == null && serverNameAuthorized) {
            return;
        }
        String name = host == null || HostNames.isIpLiteral(host) ? null : host;
        if (name == null || !sandbox.policy.allowsAuthority(flow.destination(), flow.port(), name)) {
            denied = true;
            String reason = connect ? SandboxIntercept.STRICT_CONNECT : SandboxIntercept.STRICT_TCP;
            sandbox.deny(reason, flow, host);
            throw new Refusal(403, "msb: " + reason);
        }
        authorized = true;
    }

    @Override
    public void violation(SecretEntry entry, String host, ViolationAction action) {
        termination = sandbox.violation(entry, host, action);
    }
}
