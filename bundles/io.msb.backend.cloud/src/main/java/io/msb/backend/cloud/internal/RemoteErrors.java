package io.msb.backend.cloud.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.msb.api.AlreadyExistsException;
import io.msb.api.InvalidConfigException;
import io.msb.api.InvalidStateException;
import io.msb.api.MsbException;
import io.msb.api.NotFoundException;
import io.msb.api.UnsupportedFeatureException;

/**
 * The remote's error answers ({@code {"error":{"code","message","details"}}}, decision 0011) as the platform's
 * exceptions, which the local HTTP API turns back into the same status: 404, 409, 400 (with the field), 501.
 * The message is the remote's own, bounded and made printable; statuses without an exception type of their own
 * name the backend, the URL and the status.
 */
final class RemoteErrors {
    static final int MAX_MESSAGE = 1000;

    private RemoteErrors() {
    }

    /**
     * @param where the backend and the request, for messages that need them ({@code backend cloud (GET http://…)})
     * @param sandbox the sandbox the request named, or null
     */
    static MsbException of(int status, JsonNode body, String where, String sandbox) {
        JsonNode error = body == null ? null : body.path("error");
        String code = text(error == null ? null : error.path("code"));
        String message = text(error == null ? null : error.path("message"));
        if (message == null) {
            message = "HTTP " + status;
        }
        return switch (status) {
            case 400, 422 -> invalid(message, error == null ? null : text(error.path("details").path("field")));
            case 404 -> "sandbox_not_found".equals(code) && sandbox != null ? new NotFoundException("sandbox", sandbox)
                    : "sandbox_not_found".equals(code) || "image_not_found".equals(code)
                            ? new RemoteNotFound(message)
                            : new UnsupportedFeatureException(where + ": the remote has no such route (" + message + ")");
            case 409 -> "name_already_exists".equals(code) && sandbox != null
                    ? new AlreadyExistsException("sandbox", sandbox) : new InvalidStateException(message);
            case 501 -> new UnsupportedFeatureException(message);
            case 401, 403 -> new MsbException(where + ": the remote refused the API key (" + status + " " + code + ")");
            default -> new MsbException(where + ": the remote answered " + status + (code == null ? "" : " " + code)
                    + ": " + message);
        };
    }

    /** A 400's field is in {@code details.field}, or leads the message ({@code field: rule}). */
    private static InvalidConfigException invalid(String message, String field) {
        String named = field;
        int colon = message.indexOf(": ");
        if (named == null && colon > 0 && message.substring(0, colon).matches("[A-Za-z0-9_.\\[\\]-]+")) {
            named = message.substring(0, colon);
        }
        return new InvalidConfigException(named, message.replaceFirst("^invalid config: ", ""));
    }

    /** A textual node bounded and printable, or null. */
    static String text(JsonNode node) {
        if (node == null || !node.isTextual()) {
            return null;
        }
        return printable(node.asText());
    }

    static String printable(String text) {
        String shown = text.replaceAll("[^\\x20-\\x7e\\u00a0-\\uffff]", "?");
        return shown.length() > MAX_MESSAGE ? shown.substring(0, MAX_MESSAGE) + "..." : shown;
    }

    /** A 404 for something other than a sandbox we named (an image), with the remote's message. */
    static final class RemoteNotFound extends NotFoundException {
        private static final long serialVersionUID = 1L;
        private final String message;

        RemoteNotFound(String message) {
            super("resource", "remote");
            this.message = message;
        }

        @Override
        public String getMessage() {
            return message;
        }
    }
}
