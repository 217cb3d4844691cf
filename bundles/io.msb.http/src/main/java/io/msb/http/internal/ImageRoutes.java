package io.msb.http.internal;

import io.msb.api.MsbException;
import io.msb.api.PullPolicy;
import io.msb.api.image.ImageInfo;
import io.msb.api.image.ImageNotFoundException;
import io.msb.api.image.ImageReference;
import io.msb.api.image.ImageService;
import io.msb.api.image.ImageService.ArchiveFormat;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * msb's image routes beside the cloud API (decision 1040): pull with an NDJSON progress stream, list, inspect,
 * remove, prune, load an archive from the request body and save one into the response. A reference in the path
 * is the rest of the path ({@code /v1/images/127.0.0.1:5000/test/busybox:1}); a last segment {@code archive}
 * makes it the save route.
 */
final class ImageRoutes {
    /** The one-word POST actions; as GET or DELETE targets they would be images named so (use {@code pull:latest}). */
    private static final Set<String> ACTIONS = Set.of("pull", "prune", "load");
    private static final String ARCHIVE = "archive";

    private final Supplier<ImageService> images;
    private final RequestBodies bodies;
    private final ArchiveFiles archives;
    private final Duration keepalive;

    ImageRoutes(Supplier<ImageService> images, RequestBodies bodies, ArchiveFiles archives, Duration keepalive) {
        this.images = images;
        this.bodies = bodies;
        this.archives = archives;
        this.keepalive = keepalive;
    }

    /** Serves {@code /v1/images/<rest>}. */
    void serve(HttpServletRequest req, HttpServletResponse resp, String method, List<String> rest)
            throws IOException, InterruptedException {
        if (rest.isEmpty()) {
            if (!method.equals("GET")) {
                throw ApiServlet.notAllowed(req, "GET, HEAD");
            }
            ApiServlet.send(resp, 200, new Wire.ImageList(service().list().stream().map(ImageRoutes::response).toList()));
            return;
        }
        if (rest.size() == 1 && ACTIONS.contains(rest.get(0))) {
            if (!method.equals("POST")) {
                throw ApiServlet.notAllowed(req, "POST");
            }
            switch (rest.get(0)) {
                case "pull" -> pull(req, resp);
                case "prune" -> ApiServlet.send(resp, 200, new Wire.Pruned(service().prune()));
                default -> load(req, resp);
            }
            return;
        }
        boolean save = rest.size() > 1 && rest.get(rest.size() - 1).equals(ARCHIVE);
        ImageReference ref = reference(String.join("/", save ? rest.subList(0, rest.size() - 1) : rest));
        switch (method + (save ? " archive" : "")) {
            case "GET" -> ApiServlet.send(resp, 200, response(find(ref)));
            case "DELETE" -> {
                service().remove(ref);
                ApiServlet.send(resp, 200, new Wire.Message("image " + ref.text() + " removed"));
            }
            case "GET archive" -> save(req, resp, ref);
            default -> throw ApiServlet.notAllowed(req, save ? "GET, HEAD" : "GET, HEAD, DELETE");
        }
    }

    private ImageService service() {
        ImageService service = images.get();
        if (service == null) {
            throw new ApiException(501, "not_supported", "no ImageService (io.msb.image) is running", null);
        }
        return service;
    }

    /** A reference in the path; its errors name the field {@code reference}. */
    private static ImageReference reference(String text) {
        return ImageReference.parse("reference", text);
    }

    private ImageInfo find(ImageReference ref) {
        return service().find(ref).orElseThrow(() -> new ImageNotFoundException("image", ref.toString()));
    }

    private void pull(HttpServletRequest req, HttpServletResponse resp) throws IOException, InterruptedException {
        Wire.PullRequest body = bodies.read(req, Wire.PullRequest.class);
        ImageReference ref = reference(body.reference());
        PullPolicy policy = body.pullPolicy() == null ? PullPolicy.IF_MISSING : Mapping.pullPolicy(body.pullPolicy());
        new PullStream(service(), keepalive).serve(ref, policy, resp);
    }

    private void load(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        ImageService service = service();
        Path archive = archives.receive(req, bodies);
        try {
            List<ImageInfo> loaded;
            try {
                loaded = service.load(archive);
            } catch (MsbException e) {
                throw e.getClass() == MsbException.class ? notAnArchive(e, archive) : e;
            }
            ApiServlet.send(resp, 200, new Wire.ImageList(loaded.stream().map(ImageRoutes::response).toList()));
        } finally {
            ArchiveFiles.delete(archive);
        }
    }

    /**
     * The image service reports a malformed archive as a plain {@link MsbException} (it has no type of its own): the
     * body is what was wrong, so it is the client's 400, naming the body instead of our temporary file.
     */
    private static ApiException notAnArchive(MsbException e, Path archive) {
        return ApiException.invalid("request body", String.valueOf(e.getMessage())
                .replace("archive " + archive + " ", "").replace(archive.toString(), "the archive"));
    }

    private void save(HttpServletRequest req, HttpServletResponse resp, ImageReference ref) throws IOException {
        String formatText = ApiServlet.query(req, "format");
        ArchiveFormat format = formatText == null || formatText.equals("docker") ? ArchiveFormat.DOCKER
                : formatText.equals("oci") ? ArchiveFormat.OCI_LAYOUT
                : null;
        if (format == null) {
            throw ApiException.invalid("format", "must be docker or oci");
        }
        ImageService service = service();
        find(ref); // 404 before any file is made
        archives.send(resp, archive -> service.save(ref, archive, format));
    }

    /** An image as the API shows it: its layers and runtime defaults, the time as ISO-8601. */
    static Wire.ImageResponse response(ImageInfo info) {
        return new Wire.ImageResponse(info.reference(), info.manifestDigest(), info.configDigest(),
                info.compressedSize(), info.pulledAt() == null ? null : info.pulledAt().toString(), info.layers(),
                info.config());
    }
}
