package io.msb.webconsole.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.msb.api.image.ImageInfo;
import io.msb.api.image.ImageReference;
import io.msb.api.image.ImageService;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.felix.webconsole.servlet.ServletConstants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * The Web Console's "Images" page ({@code /system/console/msb-images}): the cached images with Remove, Prune, and
 * Pull with progress ({@code pulls.json} feeds the page's live refresh; without JavaScript, reload).
 */
@Component(service = Servlet.class, property = {
        ServletConstants.PLUGIN_LABEL + "=" + ImagesPlugin.LABEL,
        ServletConstants.PLUGIN_TITLE + "=Images",
        ServletConstants.PLUGIN_CATEGORY + "=" + SandboxesPlugin.CATEGORY})
public final class ImagesPlugin extends ConsolePage {
    private static final long serialVersionUID = 1L;
    static final String LABEL = "msb-images";
    /** Most images listed. */
    static final int MAX_LISTED = 500;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final transient ImageService images;
    private final transient Pulls pulls;

    @Activate
    public ImagesPlugin(@Reference ImageService images) {
        super(LABEL, List.of("reference"));
        this.images = images;
        this.pulls = new Pulls(images);
    }

    @Deactivate
    void deactivate() {
        pulls.close();
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
            throws IOException, jakarta.servlet.ServletException {
        if (request.getPathInfo() != null && request.getPathInfo().endsWith("/pulls.json")) {
            setNoCache(response);
            response.setContentType("application/json");
            response.setCharacterEncoding("UTF-8");
            List<Map<String, Object>> rows = pulls.list().stream().map(ImagesPlugin::row).toList();
            JSON.writeValue(response.getWriter(), Map.of("pulls", rows));
        } else {
            super.doGet(request, response);
        }
    }

    private static Map<String, Object> row(Pulls.State s) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("reference", s.reference());
        row.put("phase", s.phase());
        row.put("percent", s.percent());
        row.put("progress", progress(s));
        row.put("finished", s.finished());
        row.put("error", s.error());
        return row;
    }

    static String progress(Pulls.State s) {
        return s.totalBytes() > 0 ? Format.bytes(s.doneBytes()) + " of " + Format.bytes(s.totalBytes()) : "";
    }

    @Override
    public void renderContent(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Flash.Message message = flash.take(request.getParameter("flash"));
        List<ImageInfo> all = images.list().stream().sorted(Comparator.comparing(ImageInfo::reference)).toList();
        Html h = new Html();
        render(h, root(request), csrf.token(request), all, pulls.list(), message);
        writeHtml(response, h);
    }

    /** The page: pulls under way or done, the images (at most {@link #MAX_LISTED}), the pull and prune forms. */
    static void render(Html h, String root, String token, List<ImageInfo> all, List<Pulls.State> pullStates,
            Flash.Message message) {
        ConsolePage.head(h, root);
        ConsolePage.message(h, message);
        h.raw("<p class=\"statline\">").text(all.size() + " image" + (all.size() == 1 ? "" : "s")).raw("</p>");
        if (!pullStates.isEmpty()) {
            h.raw("<table class=\"nicetable msb-pulls\"><thead><tr><th>Pulling</th><th>Phase</th><th>Progress</th>"
                    + "</tr></thead><tbody>");
            for (Pulls.State s : pullStates) {
                h.raw("<tr").attr("data-finished", s.finished()).raw("><td>").text(s.reference()).raw("</td><td>")
                        .text(s.error() != null ? "failed: " + s.error() : s.phase()).raw("</td><td>")
                        .raw("<progress max=\"100\"").attr("value", s.percent()).raw("></progress> <span>")
                        .text(progress(s)).raw("</span></td></tr>");
            }
            h.raw("</tbody></table>");
        }
        h.raw("<table class=\"nicetable msb-images\"><thead><tr><th>Reference</th><th>Digest</th><th>Size</th>"
                + "<th>Layers</th><th>Pulled</th><th>Actions</th></tr></thead><tbody>");
        if (all.isEmpty()) {
            h.raw("<tr><td colspan=\"6\">No images cached.</td></tr>");
        }
        for (ImageInfo i : all.subList(0, Math.min(all.size(), MAX_LISTED))) {
            h.raw("<tr><td>").text(i.reference()).raw("</td><td><code").attr("title", i.manifestDigest()).raw(">")
                    .text(Format.shortDigest(i.manifestDigest())).raw("</code></td><td>")
                    .text(Format.bytes(i.compressedSize())).raw("</td><td>").text(i.layers().size())
                    .raw("</td><td>").text(Format.time(i.pulledAt())).raw("</td><td>");
            h.raw("<form method=\"post\" class=\"msb-inline\"").attr("action", root).raw(">")
                    .hidden("action", "remove").hidden(Csrf.FIELD, token).hidden("reference", i.reference())
                    .raw("<button type=\"submit\" class=\"ui-button msb-remove\">Remove</button></form></td></tr>");
        }
        h.raw("</tbody></table>");
        if (all.size() > MAX_LISTED) {
            h.raw("<p>").text((all.size() - MAX_LISTED) + " more not shown").raw("</p>");
        }
        h.raw("<h3 class=\"msb-h\">Pull an image</h3><form method=\"post\" class=\"msb-pull\"").attr("action", root)
                .raw(">").hidden("action", "pull").hidden(Csrf.FIELD, token)
                .raw("<input name=\"reference\" size=\"50\" placeholder=\"alpine:3.20\"")
                .attr("value", message != null && message.error() ? message.form().getOrDefault("reference", "") : "")
                .raw("> <button type=\"submit\" class=\"ui-button\">Pull</button></form>");
        h.raw("<h3 class=\"msb-h\">Prune</h3><form method=\"post\"").attr("action", root).raw(">")
                .hidden("action", "prune").hidden(Csrf.FIELD, token)
                .raw("<button type=\"submit\" class=\"ui-button msb-prune\">Delete unreferenced blobs</button></form>");
    }

    @Override
    Outcome act(String action, HttpServletRequest request) {
        switch (action) {
            case "pull" -> {
                ImageReference ref = ImageReference.parse("reference", request.getParameter("reference"));
                pulls.start(ref);
                return new Outcome("", Flash.Message.ok("Pulling " + ref.text()));
            }
            case "remove" -> {
                ImageReference ref = ImageReference.parse("reference", request.getParameter("reference"));
                images.remove(ref);
                return new Outcome("", Flash.Message.ok("Removed " + ref.text()));
            }
            case "prune" -> {
                return new Outcome("", Flash.Message.ok("Pruned " + Format.bytes(images.prune())));
            }
            default -> throw io.msb.api.Check.invalid("action", "unknown action " + action);
        }
    }
}
