package io.msb.webconsole.internal;

import io.msb.api.volume.VolumeInfo;
import io.msb.api.volume.VolumeKind;
import io.msb.api.volume.VolumeService;
import io.msb.api.volume.VolumeSpec;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.apache.felix.webconsole.servlet.ServletConstants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The Web Console's "Volumes" page ({@code /system/console/msb-volumes}): list, create and remove named volumes. */
@Component(service = Servlet.class, property = {
        ServletConstants.PLUGIN_LABEL + "=" + VolumesPlugin.LABEL,
        ServletConstants.PLUGIN_TITLE + "=Volumes",
        ServletConstants.PLUGIN_CATEGORY + "=" + SandboxesPlugin.CATEGORY})
public final class VolumesPlugin extends ConsolePage {
    private static final long serialVersionUID = 1L;
    static final String LABEL = "msb-volumes";
    static final int MAX_LISTED = 500;

    private final transient VolumeService volumes;

    @Activate
    public VolumesPlugin(@Reference VolumeService volumes) {
        super(LABEL, List.of("name", "kind", "quota", "capacity", "labels"));
        this.volumes = volumes;
    }

    @Override
    public void renderContent(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Flash.Message message = flash.take(request.getParameter("flash"));
        Html h = new Html();
        render(h, root(request), csrf.token(request), volumes.list(), message);
        writeHtml(response, h);
    }

    static void render(Html h, String root, String token, List<VolumeInfo> all, Flash.Message message) {
        ConsolePage.head(h, root);
        ConsolePage.message(h, message);
        h.raw("<p class=\"statline\">").text(all.size() + " volume" + (all.size() == 1 ? "" : "s")).raw("</p>");
        h.raw("<table class=\"nicetable msb-volumes\"><thead><tr><th>Name</th><th>Kind</th><th>Quota / capacity</th>"
                + "<th>Used</th><th>Mounted by</th><th>Labels</th><th>Created</th><th>Actions</th></tr></thead><tbody>");
        if (all.isEmpty()) {
            h.raw("<tr><td colspan=\"8\">No volumes.</td></tr>");
        }
        for (VolumeInfo v : all.subList(0, Math.min(all.size(), MAX_LISTED))) {
            VolumeSpec s = v.spec();
            Integer limit = s.kind() == VolumeKind.DISK ? s.capacityMib() : s.quotaMib();
            h.raw("<tr><td>").text(v.name()).raw("</td><td>").text(s.kind().wireName()).raw("</td><td>")
                    .text(limit == null ? "none" : limit + " MiB").raw("</td><td>").text(Format.bytes(v.usedBytes()))
                    .raw("</td><td>").text(String.join(", ", v.usedBy())).raw("</td><td>");
            SandboxesView.labels(h, v.labels(), SandboxesView.LABELS_SHOWN);
            h.raw("</td><td>").text(Format.time(v.createdAt())).raw("</td><td>");
            h.raw("<form method=\"post\" class=\"msb-inline\"").attr("action", root).raw(">")
                    .hidden("action", "remove").hidden(Csrf.FIELD, token).hidden("name", v.name())
                    .raw("<button type=\"submit\" class=\"ui-button msb-remove\">Remove</button></form></td></tr>");
        }
        h.raw("</tbody></table>");
        Map<String, String> form = message != null && message.error() ? message.form() : Map.of();
        h.raw("<h3 class=\"msb-h\">Create a volume</h3><form method=\"post\" class=\"msb-create\"")
                .attr("action", root).raw(">").hidden("action", "create").hidden(Csrf.FIELD, token)
                .raw("<table class=\"nicetable\"><tbody>");
        SandboxesView.field(h, "Name", "name", form.getOrDefault("name", ""), "letters, digits, . _ -");
        String kind = form.getOrDefault("kind", "dir");
        h.raw("<tr><td><label for=\"msb-kind\">Kind</label></td><td><select id=\"msb-kind\" name=\"kind\">")
                .raw("<option value=\"dir\"").raw(kind.equals("disk") ? "" : " selected").raw(">directory</option>")
                .raw("<option value=\"disk\"").raw(kind.equals("disk") ? " selected" : "").raw(">disk image</option>")
                .raw("</select></td></tr>");
        SandboxesView.field(h, "Quota (MiB, directory)", "quota", form.getOrDefault("quota", ""), "none");
        SandboxesView.field(h, "Capacity (MiB, disk)", "capacity", form.getOrDefault("capacity", ""), "required for disk");
        h.raw("<tr><td><label for=\"msb-labels\">Labels</label></td><td><textarea id=\"msb-labels\" name=\"labels\""
                + " rows=\"2\" cols=\"40\" placeholder=\"key=value, one per line\">")
                .text(form.getOrDefault("labels", "")).raw("</textarea></td></tr>")
                .raw("<tr><td></td><td><button type=\"submit\" class=\"ui-button\">Create</button></td></tr>")
                .raw("</tbody></table></form>");
    }

    @Override
    Outcome act(String action, HttpServletRequest request) {
        String name = Forms.required("name", request.getParameter("name"));
        switch (action) {
            case "create" -> {
                VolumeKind kind = VolumeKind.ofWireName(Forms.required("kind", request.getParameter("kind")));
                int quota = Forms.number("quota", request.getParameter("quota"), Integer.MAX_VALUE);
                int capacity = Forms.number("capacity", request.getParameter("capacity"), Integer.MAX_VALUE);
                volumes.create(new VolumeSpec(name, kind, quota == 0 ? null : quota, capacity == 0 ? null : capacity,
                        Forms.labels(request.getParameter("labels"))));
                return new Outcome("", Flash.Message.ok("Created volume " + name));
            }
            case "remove" -> {
                volumes.remove(name);
                return new Outcome("", Flash.Message.ok("Removed volume " + name));
            }
            default -> throw io.msb.api.Check.invalid("action", "unknown action " + action);
        }
    }
}
