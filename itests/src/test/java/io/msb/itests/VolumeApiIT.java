package io.msb.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.msb.api.SandboxStatus;
import io.msb.api.store.SandboxRecord;
import io.msb.api.store.SandboxStore;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * The cloud API's volume routes and file routes (facts §2.6-2.7, decision 1214) against the real servlet, volume
 * service, store and runtime: bodies and codes as the official SDK reads them, {@code x-msb-file-path} as unpadded
 * base64url, confinement errors, and a volume a recorded sandbox mounts refusing removal.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class VolumeApiIT extends HttpApiTestBase {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Before
    public void answering() throws Exception {
        Osgi.eventually("the API answers", () -> send("GET", "/v1/version", null).statusCode() == 200);
        Osgi.eventually("the volume routes answer", () -> send("GET", "/v1/volumes", null).statusCode() == 200);
    }

    @Test
    public void createListGetPatchDeleteAsTheCloudApi() throws Exception {
        JsonNode created = json(send("POST", "/v1/volumes",
                "{\"name\":\"cache\",\"labels\":{\"team\":\"a\"},\"capacity_gib\":2}"), 200);
        String id = created.get("id").asText();
        assertEquals("cache", created.get("name").asText());
        assertEquals("managed", created.get("kind").asText());
        assertEquals("block", created.get("storage").asText());
        assertEquals("active", created.get("status").asText());
        assertEquals(0, created.get("used_bytes").asLong());
        assertEquals(2L << 30, created.get("capacity_bytes").asLong());
        assertEquals("a", created.get("labels").get("team").asText());
        assertEquals("dir", created.get("type").asText());
        assertEquals(2048, created.get("quota_mib").asInt());
        for (String field : List.of("created_at", "updated_at")) {
            Instant.parse(created.get(field).asText());
        }
        assertTrue(Files.isDirectory(HttpApiPlatform.home(context).resolve("volumes/cache/data")));

        JsonNode list = json(send("GET", "/v1/volumes", null), 200);
        assertTrue("a bare array: " + list, list.isArray());
        assertTrue(names(list).contains("cache"));
        assertEquals(created, json(send("GET", "/v1/volumes/" + id, null), 200));

        assertEquals("volume_already_exists", code(send("POST", "/v1/volumes", "{\"name\":\"cache\"}"), 409));
        assertEquals("invalid_request", code(send("POST", "/v1/volumes", "{\"name\":\"../x\"}"), 400));
        assertEquals("invalid_request", code(send("POST", "/v1/volumes", "{\"name\":\"x\",\"bogus\":1}"), 400));
        assertEquals("volume_not_found", code(send("GET", "/v1/volumes/default", null), 404));
        assertEquals("volume_not_found", code(send("GET", "/v1/volumes/00000000-0000-0000-0000-000000000000", null), 404));
        assertEquals("volume_not_found", code(send("GET", "/v1/volumes/cache", null), 404)); // ids, not names

        JsonNode patched = json(send("PATCH", "/v1/volumes/" + id, "{\"capacity_gib\":3,\"labels\":{\"t\":\"b\"}}"), 200);
        assertEquals(3L << 30, patched.get("capacity_bytes").asLong());
        assertEquals(Map.of("t", "b"), JSON.convertValue(patched.get("labels"), Map.class));

        JsonNode disk = json(send("POST", "/v1/volumes", "{\"name\":\"blk\",\"type\":\"disk\",\"capacity_mib\":16}"),
                200);
        assertEquals(16L << 20, disk.get("capacity_bytes").asLong());
        assertTrue(Files.exists(HttpApiPlatform.home(context).resolve("volumes/blk/disk.ext4")));

        assertEquals("volume blk removed", json(send("DELETE", "/v1/volumes/" + disk.get("id").asText(), null), 200)
                .get("message").asText());
        assertEquals("volume cache removed", json(send("DELETE", "/v1/volumes/" + id, null), 200)
                .get("message").asText());
        assertEquals("volume_not_found", code(send("DELETE", "/v1/volumes/" + id, null), 404));
        assertFalse(names(json(send("GET", "/v1/volumes", null), 200)).contains("cache"));
    }

    @Test
    public void fileRoutesWithBase64UrlPaths() throws Exception {
        String id = json(send("POST", "/v1/volumes", "{\"name\":\"files\"}"), 200).get("id").asText();
        String base = "/v1/volumes/" + id + "/files";
        byte[] content = "hello volume".getBytes(StandardCharsets.UTF_8);
        // the parent must exist, as on a file system
        assertEquals("volume_file_not_found", code(text(file("PUT", base + "/content", "/dir/a b.txt", content)), 404));
        assertEquals(200, send("POST", base + "/mkdir", "{\"path\":\"/dir/sub\"}").statusCode());
        assertEquals(200, file("PUT", base + "/content", "/dir/a b.txt", content).statusCode());
        HttpResponse<byte[]> read = file("GET", base + "/content", "/dir/a b.txt", null);
        assertEquals(200, read.statusCode());
        assertEquals(new String(content, StandardCharsets.UTF_8), new String(read.body(), StandardCharsets.UTF_8));

        JsonNode stat = json(text(file("GET", base + "/stat", "/dir/a b.txt", null)), 200).get("metadata");
        assertEquals("/dir/a b.txt", stat.get("path").asText());
        assertEquals("file", stat.get("kind").asText());
        assertEquals(content.length, stat.get("size").asLong());
        assertTrue(json(text(file("GET", base + "/exists", "/dir/a b.txt", null)), 200).get("exists").asBoolean());
        assertFalse(json(text(file("GET", base + "/exists", "/nope", null)), 200).get("exists").asBoolean());

        assertEquals(200, send("POST", base + "/copy", "{\"from\":\"/dir/a b.txt\",\"to\":\"/dir/copy\"}").statusCode());
        assertEquals(200, send("POST", base + "/rename", "{\"from\":\"/dir/copy\",\"to\":\"/moved\"}").statusCode());
        JsonNode entries = json(text(file("GET", base, "/dir", null)), 200).get("entries");
        List<String> listed = new ArrayList<>();
        entries.forEach(e -> listed.add(e.get("path").asText() + ":" + e.get("kind").asText()));
        assertEquals(List.of("/dir/a b.txt:file", "/dir/sub:directory"), listed);

        assertEquals("volume_file_not_found", code(text(file("GET", base + "/content", "/nope", null)), 404));
        assertEquals("invalid_volume_path", code(text(file("GET", base + "/content", "/../../etc/passwd", null)), 400));
        assertEquals("invalid_volume_path", code(send("POST", base + "/mkdir", "{\"path\":\"/a/../../x\"}"), 400));
        assertEquals("invalid_volume_path", code(send("GET", base + "/content", null), 400)); // no header
        HttpResponse<byte[]> notBase64 = http.send(authorized("GET", base + "/content", null)
                .header("x-msb-file-path", "%%%").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals("invalid_volume_path", code(text(notBase64), 400));
        // a link out of the volume, as a guest could leave it, is not followed
        Path data = HttpApiPlatform.home(context).resolve("volumes/files/data");
        Files.createSymbolicLink(data.resolve("out"), Path.of("/etc"));
        assertEquals("invalid_volume_path", code(text(file("GET", base + "/content", "/out/hostname", null)), 400));

        HttpResponse<byte[]> notEmpty = file("DELETE", base, "/dir", null);
        assertEquals(text(notEmpty).body(), 400, notEmpty.statusCode());
        HttpResponse<byte[]> removed = http.send(authorized("DELETE", base, null).header("x-msb-file-path", b64("/dir"))
                .header("x-msb-file-recursive", "true").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, removed.statusCode());
        assertFalse(Files.exists(data.resolve("dir")));
        assertEquals("volume_not_found", code(text(file("GET",
                "/v1/volumes/00000000-0000-0000-0000-000000000000/files/content", "/moved", null)), 404));
    }

    @Test
    public void aMountedVolumeIsInUse() throws Exception {
        String id = json(send("POST", "/v1/volumes", "{\"name\":\"mounted\"}"), 200).get("id").asText();
        String spec = "{\"v\":1,\"name\":\"user\",\"rootfs\":{\"kind\":\"oci\",\"reference\":\"alpine\"},\"cpus\":1,"
                + "\"memoryMib\":256,\"diskSizeMib\":0,\"env\":{},\"labels\":{},\"mounts\":[{\"source\":\"mounted\","
                + "\"guestPath\":\"/data\",\"kind\":\"VOLUME\",\"readOnly\":false}],\"pullPolicy\":\"IF_MISSING\"}";
        SandboxStore store = Osgi.service(context, SandboxStore.class);
        store.insertSandbox(new SandboxRecord("user", spec, SandboxStatus.STOPPED, false, Map.of(), Instant.now(),
                Instant.now()));
        Reply refused = send("DELETE", "/v1/volumes/" + id, null);
        assertEquals("volume_in_use", code(refused, 409));
        assertEquals(List.of("user"), JSON.convertValue(JSON.readTree(refused.body()).at("/error/details/sandboxes"),
                List.class));
        assertEquals(List.of("user"), JSON.convertValue(json(send("GET", "/v1/volumes/" + id, null), 200)
                .get("used_by"), List.class));
        assertFalse("prune keeps a mounted volume", JSON.convertValue(json(send("POST", "/v1/volumes/prune", "{}"), 200)
                .get("volumes_deleted"), List.class).contains("mounted"));
        store.deleteSandbox("user");
        assertTrue(JSON.convertValue(json(send("POST", "/v1/volumes/prune", "{}"), 200).get("volumes_deleted"),
                List.class).contains("mounted"));
        assertEquals("volume_not_found", code(send("GET", "/v1/volumes/" + id, null), 404));
    }

    private static String b64(String path) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(path.getBytes(StandardCharsets.UTF_8));
    }

    private HttpRequest.Builder authorized(String method, String path, byte[] body) {
        return HttpRequest.newBuilder(HttpApiPlatform.uri(context, path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body))
                .header("Authorization", "Bearer " + HttpApiPlatform.KEY);
    }

    private HttpResponse<byte[]> file(String method, String path, String filePath, byte[] body) throws Exception {
        return http.send(authorized(method, path, body).header("x-msb-file-path", b64(filePath)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private Reply send(String method, String path, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpApiPlatform.request(context, method, path, body,
                "Bearer " + HttpApiPlatform.KEY), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }

    /** A status and a body as text. */
    private record Reply(int statusCode, String body) {
    }

    private static Reply text(HttpResponse<byte[]> r) {
        return new Reply(r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
    }

    private static List<String> names(JsonNode list) {
        List<String> out = new ArrayList<>();
        list.forEach(v -> out.add(v.get("name").asText()));
        return out;
    }

    private static JsonNode json(Reply r, int status) throws Exception {
        assertEquals(r.body(), status, r.statusCode());
        return JSON.readTree(r.body());
    }

    private static String code(Reply r, int status) throws Exception {
        return json(r, status).path("error").path("code").asText();
    }
}
