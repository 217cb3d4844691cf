package io.msb.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * The wire shapes (decision 0011), as the microsandbox cloud API v1 names them. Requests are read strictly
 * (see {@link Json}); absent fields are null and take the platform's defaults.
 */
final class Wire {
    private Wire() {
    }

    /** {@code CloudSandboxSpec} plus the create request's {@code slug} and {@code registry}. */
    record CreateRequest(String name, ImageSource image, List<EnvVar> env, Map<String, String> labels,
            Lifecycle lifecycle, Resources resources, RuntimeOptions runtime, List<JsonNode> rlimits,
            String pullPolicy, Map<String, Object> network, List<JsonNode> mounts, List<JsonNode> patches, JsonNode init,
            String securityProfile, String slug, JsonNode registry) {
    }

    /** {@code CloudRootfsSource}: {@code oci}; msb adds {@code bind} (a host directory) and {@code disk_image}. */
    record ImageSource(String type, String reference, String path, String format) {
    }

    record EnvVar(String key, String value) {
    }

    record Lifecycle(Boolean ephemeral, Long idleTimeoutSecs, Long maxDurationSecs) {
    }

    record Resources(Long vcpus, Long memoryMib, Long diskSizeMib) {
    }

    record RuntimeOptions(List<String> cmd, List<String> entrypoint, String user, String workdir, String shell,
            JsonNode logLevel, Map<String, String> scripts) {
    }

    /** msb's exec extension; {@code stdin} is base64. */
    record ExecRequest(List<String> cmd, Map<String, String> env, String workdir, String user, Long timeoutSecs,
            String stdin) {
    }

    record SandboxResponse(String id, String orgId, String name, String slug, String status, boolean ephemeral,
            String createdAt, String startedAt, String stoppedAt, String lastFailureMessage, SpecResponse spec) {
    }

    /** {@code SandboxSpecResponse}: the resolved spec as the user sees it. */
    record SpecResponse(String image, Resources resources, RuntimeResponse runtime, List<EnvVar> env,
            Map<String, String> labels, List<Object> rlimits, Lifecycle lifecycle, List<Object> mounts,
            Map<String, Object> network) {
    }

    record RuntimeResponse(List<String> cmd, List<String> entrypoint, String hostname, String shell, String user,
            String workdir) {
    }

    record Page(List<SandboxResponse> data, boolean hasMore, String nextCursor) {
    }

    record Message(String message) {
    }

    record Version(String version, int protocol) {
    }

    record ErrorResponse(ErrorBody error) {
    }

    record ErrorBody(String code, String message, Map<String, Object> details) {
    }
}
