package io.msb.webconsole.internal;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.felix.webconsole.servlet.AbstractServlet;
import org.apache.felix.webconsole.servlet.ServletConstants;

/**
 * What the msb console pages share: POST actions checked against forgery, run, and answered with a redirect to a
 * GET that shows their outcome (so reload never repeats them), and the outcome's message box.
 */
abstract class ConsolePage extends AbstractServlet {
    private static final long serialVersionUID = 1L;
    private static final System.Logger LOG = System.getLogger(ConsolePage.class.getName());

    /** Where a POST's outcome is shown: the page's query (without {@code flash}) and the message. */
    record Outcome(String query, Flash.Message message) {
    }

    final transient Csrf csrf = new Csrf();
    final transient Flash flash = new Flash();
    private final String label;
    private final List<String> formFields;

    /** @param formFields the form fields kept to refill the form after an error */
    ConsolePage(String label, List<String> formFields) {
        this.label = label;
        this.formFields = List.copyOf(formFields);
    }

    /** Runs the form's {@code action}; an exception from the API becomes the page's error message. */
    abstract Outcome act(String action, HttpServletRequest request);

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String refusal = csrf.refusal(request);
        if (refusal != null) {
            response.sendError(HttpServletResponse.SC_FORBIDDEN, refusal);
            return;
        }
        Outcome outcome;
        try {
            outcome = act(Forms.required("action", request.getParameter("action")), request);
        } catch (RuntimeException e) {
            if (!(e instanceof io.msb.api.MsbException)) {
                LOG.log(System.Logger.Level.WARNING, "console action " + request.getParameter("action") + " failed", e);
            }
            Map<String, String> form = new LinkedHashMap<>();
            for (String field : formFields) {
                String value = request.getParameter(field);
                if (value != null) {
                    form.put(field, value.length() > 4096 ? value.substring(0, 4096) : value);
                }
            }
            String back = request.getParameter("back");
            outcome = new Outcome(back == null ? "" : "name=" + Html.query(back), Forms.error(e, form));
        }
        String id = flash.put(outcome.message());
        String query = outcome.query().isEmpty() ? "" : outcome.query() + "&";
        response.setStatus(HttpServletResponse.SC_SEE_OTHER);
        response.setHeader("Location", root(request) + "?" + query + "flash=" + id);
    }

    /** {@code /system/console/LABEL}. */
    String root(HttpServletRequest request) {
        Object root = request.getAttribute(ServletConstants.ATTR_PLUGIN_ROOT);
        return root != null ? root.toString() : request.getContextPath() + request.getServletPath() + "/" + label;
    }

    /** The start of a POST form with its token. */
    void formStart(Html h, HttpServletRequest request, String action, String cssClass) {
        h.raw("<form method=\"post\"").attr("action", root(request)).attr("class", cssClass).raw(">")
                .hidden("action", action).hidden(Csrf.FIELD, csrf.token(request));
    }

    /** The box with a POST's outcome, if the request names one. */
    static void message(Html h, Flash.Message m) {
        if (m == null) {
            return;
        }
        h.raw("<div").attr("class", m.error() ? "msb-msg msb-error ui-state-error ui-corner-all"
                : "msb-msg msb-ok ui-state-highlight ui-corner-all").attr("role", m.error() ? "alert" : "status")
                .raw(">");
        if (m.field() != null) {
            h.raw("<b class=\"msb-field\">").text(m.field()).raw("</b>: ");
        }
        h.raw("<span class=\"msb-text\">").text(m.text()).raw("</span></div>");
    }

    /** Styles and the live refresh script the pages share (served from this bundle's /res). */
    static void head(Html h, String root) {
        h.raw("<link rel=\"stylesheet\"").attr("href", root + "/res/msb.css").raw(">")
                .raw("<script defer").attr("src", root + "/res/msb.js").raw("></script>");
    }

    static void writeHtml(HttpServletResponse response, Html h) throws IOException {
        response.getWriter().write(h.toString());
    }
}
