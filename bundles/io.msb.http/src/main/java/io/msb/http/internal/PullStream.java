package io.msb.http.internal;

import io.msb.api.PullPolicy;
import io.msb.api.image.ImageReference;
import io.msb.api.image.ImageService;
import io.msb.api.image.PullEvent;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@code POST /v1/images/pull} (decision 1040): the pull runs on its own thread and hands its progress events to the
 * servlet thread, which writes them as NDJSON lines in decision 1003's style: one object a line, flushed at once,
 * a blank line after each {@code keepalive} of silence, a last line that is {@code complete} or {@code error}.
 * <p>
 * The 200 is held back until the pull has resolved the manifest (or for one {@code keepalive}), so a reference the
 * registry does not know, an unreachable registry or a pull policy that forbids the pull answer with their own
 * status and error body (404 {@code image_not_found}, 502 …) like any other route. A client that goes away does not
 * stop the pull: it finishes and caches the image (stopping mid-blob would only waste what was fetched).
 */
final class PullStream {
    private static final System.Logger LOG = System.getLogger(PullStream.class.getName());
    private final ImageService images;
    private final Duration keepalive;
    /** Progress events, then the pull's failure if it fails; the image service sends 1 event per MiB per layer. */
    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private volatile boolean abandoned;

    PullStream(ImageService images, Duration keepalive) {
        this.images = images;
        this.keepalive = keepalive;
    }

    /** A pull that failed: the end of the stream. */
    private record Failed(RuntimeException error) {
    }

    void serve(ImageReference ref, PullPolicy policy, HttpServletResponse resp) throws IOException, InterruptedException {
        Thread puller = new Thread(() -> pull(ref, policy), "msb-pull " + ref);
        puller.setDaemon(true);
        puller.start();
        Object first = queue.take(); // Resolving, sent before any network call
        Object next = first instanceof Failed ? first : queue.poll(keepalive.toMillis(), TimeUnit.MILLISECONDS);
        if (next instanceof Failed f) {
            throw f.error(); // nothing was sent: an ordinary error answer
        }
        resp.setStatus(200);
        resp.setContentType("application/x-ndjson");
        resp.setHeader("Cache-Control", "no-store");
        OutputStream out = resp.getOutputStream();
        try {
            Object event = first;
            while (true) {
                if (event == null) {
                    out.write('\n');
                } else if (write(out, event)) {
                    out.flush();
                    return;
                }
                out.flush();
                event = next != null ? next : queue.poll(keepalive.toMillis(), TimeUnit.MILLISECONDS);
                next = null;
            }
        } catch (IOException clientGone) {
            abandoned = true;
            queue.clear();
            LOG.log(Level.INFO, "pull client of {0} went away; the pull goes on", ref);
        }
    }

    private void pull(ImageReference ref, PullPolicy policy) {
        try {
            images.pull(ref, policy, event -> {
                if (!abandoned) {
                    queue.add(event);
                }
            });
        } catch (RuntimeException e) {
            queue.add(new Failed(e));
        } catch (Error e) {
            queue.add(new Failed(new IllegalStateException("the pull failed: " + e, e))); // the stream must still end
            throw e;
        }
    }

    /** Writes one line; true when it was the last. */
    private static boolean write(OutputStream out, Object event) throws IOException {
        if (event instanceof PullEvent.Resolving r) {
            NdjsonExec.line(out, NdjsonExec.fields("reference", r.reference()), "resolving");
        } else if (event instanceof PullEvent.Resolved r) {
            NdjsonExec.line(out, NdjsonExec.fields("manifest_digest", r.manifestDigest(), "layers", r.layerCount(),
                    "total_bytes", r.totalBytes()), "resolved");
        } else if (event instanceof PullEvent.LayerProgress p) {
            NdjsonExec.line(out, NdjsonExec.fields("digest", p.digest(), "done_bytes", p.doneBytes(),
                    "total_bytes", p.totalBytes()), "layer");
        } else if (event instanceof PullEvent.Materializing m) {
            NdjsonExec.line(out, NdjsonExec.fields("manifest_digest", m.manifestDigest()), "materializing");
        } else if (event instanceof PullEvent.Complete c) {
            NdjsonExec.line(out, NdjsonExec.fields("image", ImageRoutes.response(c.image())), "complete");
            return true;
        } else if (event instanceof Failed f) {
            ApiException e = f.error() instanceof ApiException a ? a : ApiServlet.translate(f.error());
            NdjsonExec.line(out, NdjsonExec.fields("status", e.status(), "code", e.code(), "message", e.getMessage()),
                    "error");
            return true;
        }
        return false;
    }
}
