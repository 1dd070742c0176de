package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Makes a JSON schema palatable to strict upstreams (dialect {@code clean_tool_schemas}). Removes, at every level:
 * {@code $schema}, {@code $id}, {@code additionalProperties}, {@code format} unless {@code date-time}; adds
 * {@code properties:{}} to an object schema without properties. Property <em>names</em> are never touched.
 */
final class SchemaCleaner {

    private static final Set<String> REMOVED = Set.of("$schema", "$id", "additionalProperties");
    /** Keywords whose value is a map name -> schema (the names are data, not keywords). */
    private static final Set<String> SCHEMA_MAPS =
            Set.of("properties", "patternProperties", "$defs", "definitions", "dependentSchemas");

    private SchemaCleaner() {}

    static ObjectNode clean(JsonNode schema) {
        if (schema == null || !schema.isObject()) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("type", "object");
            o.putObject("properties");
            return o;
        }
        return (ObjectNode) cleanNode(schema.deepCopy());
    }

    private static JsonNode cleanNode(JsonNode n) {
        if (n instanceof ObjectNode o) {
            List<String> names = new ArrayList<>();
            o.fieldNames().forEachRemaining(names::add);
            for (String k : names) {
                JsonNode v = o.get(k);
                if (REMOVED.contains(k) || ("format".equals(k) && v.isTextual() && !"date-time".equals(v.asText()))) {
                    o.remove(k);
                } else if (SCHEMA_MAPS.contains(k) && v.isObject()) {
                    for (Map.Entry<String, JsonNode> e : iterable(v)) {
                        ((ObjectNode) v).set(e.getKey(), cleanNode(e.getValue()));
                    }
                } else {
                    o.set(k, cleanNode(v));
                }
            }
            if ("object".equals(o.path("type").asText()) && !o.has("properties")) {
                o.putObject("properties");
            }
            return o;
        }
        if (n instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                a.set(i, cleanNode(a.get(i)));
            }
        }
        return n;
    }

    private static List<Map.Entry<String, JsonNode>> iterable(JsonNode v) {
        List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
        v.fields().forEachRemaining(out::add);
        return out;
    }
}
