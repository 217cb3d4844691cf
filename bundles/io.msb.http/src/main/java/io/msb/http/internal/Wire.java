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

    /**
     * {@code CloudSandboxSpec} plus the create request's {@code slug} and {@code registry}: every field the SDK can
     * send. {@code mounts} stay JSON here, read by {@link WireMounts}; {@code patches}, whose feature does not exist yet,
     * are refused when they carry anything but their default. msb's extensions: {@code from_snapshot} and
     * {@code backend} (the backend that runs the sandbox, decision 1706).
     */
    record CreateRequest(String name, ImageSource image, List<EnvVar> env, Map<String, String> labels,
            Lifecycle lifecycle, Resources resources, RuntimeOptions runtime, List<Rlimit> rlimits,
            String pullPolicy, Map<String, Object> network, List<JsonNode> mounts, List<JsonNode> patches, Init init,
            String securityProfile, String slug, Registry registry, String fromSnapshot, String backend) {
    }

    /** {@code init}, microsandbox's {@code HandoffInit}: {@code env} is a list of {@code [key, value]} pairs. */
    record Init(String cmd, List<String> args, List<List<String>> env) {
    }

    /**
     * {@code registry}: {@code {mode:"auto"}} (the default: the server's credentials), {@code anonymous},
     * {@code inline} with {@code username}/{@code password}, {@code specific} with {@code credential_id}.
     */
    record Registry(String mode, String username, String password, String credentialId) {
        @Override
        public String toString() {
            return "Registry[mode=" + mode + "]"; // never the password
        }
    }

    /** {@code CloudRootfsSource}: {@code oci}; msb adds {@code bind} (a host directory) and {@code disk_image}. */
    record ImageSource(String type, String reference, String path, String format) {
    }

    record EnvVar(String key, String value) {
    }

    /** {@code {resource, soft, hard}}: resource as microsandbox names it ({@code nofile}, {@code nproc} ...). */
    record Rlimit(String resource, Long soft, Long hard) {
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

    /**
     * {@code SandboxResponse} (facts §2.4); {@code status_reason} is the cloud's scheduling state while
     * {@code starting}, which a local server never has (always null). msb's extensions: {@code backend}, the backend
     * that runs it (null for a sandbox recorded before backends were), and {@code backend_available}, false while
     * that backend is away (the status is then the last known one; decision 1706).
     */
    record SandboxResponse(String id, String orgId, String name, String slug, String status, String statusReason,
            boolean ephemeral, String createdAt, String startedAt, String stoppedAt, String lastFailureMessage,
            SpecResponse spec, String backend, boolean backendAvailable) {
        /** This sandbox as it is once stopped at {@code at}. */
        SandboxResponse stopped(java.time.Instant at) {
            return new SandboxResponse(id, orgId, name, slug, "stopped", null, ephemeral, createdAt, startedAt,
                    at.toString(), null, spec, backend, backendAvailable);
        }
    }

    /** {@code SandboxSpecResponse}: the resolved spec as the user sees it. */
    record SpecResponse(String image, Resources resources, RuntimeResponse runtime, List<EnvVar> env,
            Map<String, String> labels, List<Rlimit> rlimits, Lifecycle lifecycle, List<Map<String, Object>> mounts,
            Map<String, Object> network) {
    }

    /** The create body's {@code runtime}, resolved; {@code hostname} is msb's extension. */
    record RuntimeResponse(String workdir, String shell, Map<String, String> scripts, List<String> entrypoint,
            List<String> cmd, String user, String logLevel, String hostname) {
    }

    record Page(List<SandboxResponse> data, boolean hasMore, String nextCursor) {
    }

    /** msb's {@code POST /v1/images/pull}; {@code pull_policy} {@code if_missing} (default), {@code always}, {@code never}. */
    record PullRequest(String reference, String pullPolicy) {
    }

    /** A cached image (decision 1040); {@code size} is the sum of the compressed layers. */
    record ImageResponse(String reference, String manifestDigest, String configDigest, long size, String pulledAt,
            List<io.msb.api.image.LayerInfo> layers, io.msb.api.image.ImageConfig config) {
    }

    record ImageList(List<ImageResponse> data) {
    }

    record Pruned(long bytesFreed) {
    }

    /**
     * {@code POST /v1/volumes}: the cloud's {@code name, labels, capacity_gib, storage}; msb adds {@code type}
     * ({@code dir} or {@code disk}), {@code quota_mib} and {@code capacity_mib} (decision 1214).
     */
    record VolumeCreateRequest(String name, Map<String, String> labels, Long capacityGib, String storage, String type,
            Long quotaMib, Long capacityMib) {
    }

    /** {@code PATCH /v1/volumes/{id}}: {@code capacity_gib} (a directory's quota) or msb's {@code quota_mib}. */
    record VolumeUpdateRequest(Long capacityGib, Map<String, String> labels, Long quotaMib) {
    }

    /**
     * {@code VolumeResponse} (facts §2.7) field for field, then msb's: {@code type} (dir or disk), the sizes in MiB,
     * the host path and the sandboxes that mount it.
     */
    record VolumeResponse(String id, String name, String kind, String storage, String status, Long usedBytes,
            Long capacityBytes, Map<String, String> labels, String createdAt, String updatedAt, String type,
            Integer quotaMib, Integer capacityMib, String path, List<String> usedBy) {
    }

    /**
     * msb's {@code POST /v1/snapshots} (decision 1236): the source by name or by id, as the cloud contract's
     * {@code source_sandbox_id}; the contract's {@code record_integrity} (msb always records the disk's sha256) and
     * {@code resumable} (memory too, of a running sandbox; decision 1250).
     */
    record SnapshotCreateRequest(String name, String sourceSandbox, String sourceSandboxId,
            Map<String, String> labels, Boolean force, Boolean recordIntegrity, Boolean resumable) {
    }

    /**
     * A snapshot: the cloud contract's {@code CloudSnapshot} fields that apply locally, then msb's; {@code resumable}
     * is the manifest's {@code scope:"resumable"} (it holds the VM's memory too).
     */
    record SnapshotResponse(String name, String digest, Long sizeBytes, Map<String, String> labels, String createdAt,
            String sourceSandbox, String imageRef, String imageManifestDigest, String upperDigest, String path,
            boolean resumable) {
    }

    /**
     * msb's {@code POST /v1/snapshots/{name}/branch} (decision 1251): the new sandboxes' {@code names}, or
     * {@code count} of them named {@code <name_prefix>-1…-<count>} (the prefix defaulting to the snapshot's name).
     */
    record BranchRequest(List<String> names, Integer count, String namePrefix) {
    }

    /** The sandboxes a branch made, each as {@code GET /v1/sandboxes/{id}} answers it. */
    record BranchResponse(List<SandboxResponse> sandboxes) {
    }

    /** msb's {@code POST /v1/volumes/prune}: the names of the volumes removed. */
    record VolumesPruned(List<String> volumesDeleted) {
    }

    /** {@code FileInfo} of the volume file routes. */
    record FileInfo(String path, String kind, long size, int mode, int uid, int gid, boolean readonly,
            String accessedAt, String modifiedAt, String createdAt) {
    }

    record FileList(List<FileInfo> entries) {
    }

    record FileMetadata(FileInfo metadata) {
    }

    record FileExists(boolean exists) {
    }

    /** {@code POST .../files/mkdir}: a plain path. */
    record FilePath(String path) {
    }

    /** {@code POST .../files/copy} and {@code rename}. */
    record FileMove(String from, String to) {
    }

    record Message(String message) {
    }

    record Version(String version, int protocol) {
    }

    record ErrorResponse(ErrorBody error) {
    }

    record ErrorBody(String code, String message, Map<String, Object> details) {
    }

    /**
     * {@code GET …/metrics} (msb's, decision 1033): the VM process as the host sees it, the guest's memory, traffic;
     * then the same figures under the names and units of microsandbox's {@code msb metrics --json} (decision 1877).
     */
    record Metrics(String id, String name, long pid, long cpuTimeMs, long rssBytes, String sampledAt,
            GuestMemory guestMemory, NetworkTraffic network, String timestamp, Double cpuPercent, long vcpuTimeNs,
            Long memoryBytes, Long memoryAvailableBytes, long memoryHostResidentBytes, long memoryLimitBytes,
            Long diskReadBytes, Long diskWriteBytes, long netRxBytes, long netTxBytes, Double uptimeSecs) {
    }

    record GuestMemory(long totalBytes, long availableBytes, long usedBytes) {
    }

    /** rx: arrived in the guest; tx: sent by it. */
    record NetworkTraffic(long rxBytes, long txBytes, long rxPackets, long txPackets) {
    }

    /** {@code GET …/processes} (decision 1034). */
    record ProcessList(List<Process> data) {
    }

    record Process(int pid, int ppid, String user, String state, long cpuTimeMs, long elapsedMs, long rssBytes,
            String command) {
    }

    /** {@code GET /v1/info} (decision 1035); {@code pools}: the warm pools (decision 1260), none: empty. */
    record Info(String version, int protocol, String home, String defaultBackend, List<Backend> backends,
            Map<String, Integer> sandboxes, Integer images, List<Pool> pools) {
    }

    /** A warm pool: the kind of sandbox it serves, how many it keeps and has ready, its counts and last error. */
    record Pool(String image, int cpus, int memoryMib, boolean network, int size, int ready, long taken, long missed,
            String lastError) {
    }

    record Backend(String name, boolean available, boolean selected, String acceleration, String guestKernel,
            int minCpus, int maxCpus, int minMemoryMib, int maxMemoryMib, List<String> features) {
    }
}
