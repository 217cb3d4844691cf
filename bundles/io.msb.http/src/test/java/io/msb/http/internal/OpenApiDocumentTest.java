package io.msb.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * openapi.json against the routing table the servlet dispatches by ({@link Routes}): a route the table has and the
 * document lacks, or the reverse, fails the build; and the document is well-formed OpenAPI 3.0 as far as these
 * structure checks go (every operation answers something, every reference resolves, every path parameter is
 * declared). {@link RoutingTest} checks that the table is what the servlet really serves.
 */
class OpenApiDocumentTest {
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch",
            "trace");
    private static final Pattern TEMPLATE_PARAMETER = Pattern.compile("\\{([^}]+)}");
    private final JsonNode document = OpenApiDocument.read();

    /** Every operation of the document as {@code METHOD /path}. */
    private Map<String, JsonNode> operations() {
        Map<String, JsonNode> operations = new java.util.TreeMap<>();
        document.get("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(op -> {
            if (METHODS.contains(op.getKey())) {
                operations.put(op.getKey().toUpperCase(java.util.Locale.ROOT) + " " + path.getKey(), op.getValue());
            }
        }));
        return operations;
    }

    @Test
    void documentsEveryServedRouteAndNoOther() {
        Set<String> served = Routes.all().stream().map(Routes.Route::toString).collect(Collectors.toCollection(TreeSet::new));
        Set<String> documented = operations().keySet();
        Set<String> undocumented = new TreeSet<>(served);
        undocumented.removeAll(documented);
        Set<String> notServed = new TreeSet<>(documented);
        notServed.removeAll(served);
        assertEquals(Set.of(), undocumented, "routes the server serves that openapi.json does not describe");
        assertEquals(Set.of(), notServed, "operations openapi.json describes that the server does not serve");
        assertEquals(Routes.all().size(), served.size(), "the routing table lists a route twice");
    }

    @Test
    void isAnOpenApi3DocumentWithTitleVersionAndPaths() {
        assertTrue(document.path("openapi").asText().matches("3\\.0\\.\\d+"), "openapi: a 3.0.x version");
        assertFalse(document.path("info").path("title").asText().isBlank(), "info.title");
        assertFalse(document.path("info").path("version").asText().isBlank(), "info.version");
        assertTrue(document.path("paths").isObject() && document.path("paths").size() > 0, "paths");
        document.get("paths").fieldNames().forEachRemaining(path ->
                assertTrue(path.startsWith("/"), "a path begins with /: " + path));
    }

    @Test
    void everyOperationHasAUniqueIdAndResponsesWithDescriptions() {
        Set<String> ids = new HashSet<>();
        operations().forEach((name, op) -> {
            String id = op.path("operationId").asText();
            assertFalse(id.isBlank(), name + ": operationId");
            assertTrue(ids.add(id), name + ": operationId " + id + " is used twice");
            JsonNode responses = op.path("responses");
            assertTrue(responses.isObject() && responses.size() > 0, name + ": responses");
            responses.fields().forEachRemaining(r -> {
                assertTrue(r.getKey().matches("[1-5]\\d\\d|default"), name + ": response key " + r.getKey());
                JsonNode response = resolve(r.getValue());
                assertFalse(response.path("description").asText().isBlank(), name + " " + r.getKey() + ": description");
            });
            List<String> statuses = new ArrayList<>();
            responses.fieldNames().forEachRemaining(statuses::add);
            assertTrue(statuses.stream().anyMatch(s -> !s.equals("401") && !s.equals("default")),
                    name + ": describes its own outcome, not only the 401 and the error default: " + statuses);
        });
    }

    @Test
    void everyTemplateParameterIsDeclaredAsARequiredPathParameterAndNoOther() {
        operations().forEach((name, op) -> {
            String path = name.substring(name.indexOf(' ') + 1);
            Set<String> inTemplate = new TreeSet<>();
            Matcher m = TEMPLATE_PARAMETER.matcher(path);
            while (m.find()) {
                inTemplate.add(m.group(1));
            }
            Set<String> declared = new TreeSet<>();
            for (JsonNode parameter : op.path("parameters")) {
                JsonNode p = resolve(parameter);
                assertTrue(Set.of("path", "query", "header", "cookie").contains(p.path("in").asText()),
                        name + ": parameter " + p.path("name") + " has no valid 'in'");
                assertTrue(p.has("schema"), name + ": parameter " + p.path("name") + " has no schema");
                if (p.path("in").asText().equals("path")) {
                    assertTrue(p.path("required").asBoolean(), name + ": path parameter " + p.path("name") + " must be required");
                    declared.add(p.path("name").asText());
                }
            }
            assertEquals(inTemplate, declared, name + ": path parameters");
        });
    }

    @Test
    void onlyTheOpenRoutesWaiveTheApiKeyAndEveryOtherAnswers401() {
        assertEquals("http", document.at("/components/securitySchemes/bearerApiKey/type").asText());
        assertEquals("bearer", document.at("/components/securitySchemes/bearerApiKey/scheme").asText());
        assertEquals("bearerApiKey", document.at("/security/0").fieldNames().next());
        Set<String> open = Routes.OPEN.stream().map(Routes.Route::toString).collect(Collectors.toSet());
        operations().forEach((name, op) -> {
            boolean waived = op.has("security") && op.get("security").isEmpty();
            assertEquals(open.contains(name), waived, name + ": security: [] exactly on the routes served without a key");
            assertEquals(!waived, op.path("responses").has("401"), name + ": a 401 response exactly where a key is needed");
        });
    }

    @Test
    void everyReferenceResolves() {
        List<String> refs = new ArrayList<>();
        collectRefs(document, refs);
        assertFalse(refs.isEmpty());
        for (String ref : refs) {
            assertTrue(ref.startsWith("#/"), "only local references: " + ref);
            assertFalse(document.at(ref.substring(1)).isMissingNode(), "unresolved $ref " + ref);
        }
    }

    @Test
    void everySchemaPropertyIsSnakeCaseAsTheWireWritesIt() {
        document.at("/components/schemas").fields().forEachRemaining(schema -> checkProperties(schema.getKey(), schema.getValue()));
    }

    private static void checkProperties(String where, JsonNode schema) {
        JsonNode properties = schema.path("properties");
        for (Iterator<String> names = properties.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            assertTrue(name.matches("[a-z][a-z0-9_]*"), where + "." + name + ": not snake_case");
            checkProperties(where + "." + name, properties.get(name));
        }
        if (schema.has("items")) {
            checkProperties(where + "[]", schema.get("items"));
        }
    }

    private JsonNode resolve(JsonNode node) {
        JsonNode resolved = node.has("$ref") ? document.at(node.get("$ref").asText().substring(1)) : node;
        assertNotNull(resolved);
        assertFalse(resolved.isMissingNode(), "unresolved " + node);
        return resolved;
    }

    private static void collectRefs(JsonNode node, List<String> refs) {
        if (node.isObject()) {
            node.fields().forEachRemaining(f -> {
                if (f.getKey().equals("$ref")) {
                    refs.add(f.getValue().asText());
                } else {
                    collectRefs(f.getValue(), refs);
                }
            });
        } else if (node.isArray()) {
            node.forEach(n -> collectRefs(n, refs));
        }
    }
}
