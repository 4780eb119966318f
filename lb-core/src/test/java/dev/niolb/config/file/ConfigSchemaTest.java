package dev.niolb.config.file;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The config file's JSON Schema ({@code lb-cli/src/dist/conf/niolb.schema.json}, shipped beside the example as
 * {@code conf/niolb.schema.json}) kept in step with {@link ConfigReader}: the same keys in every map, the same
 * verdict on every integer bound and every enumerated value, the defaults the reader really applies, and the
 * shipped example valid against it. A key added to the reader and not to the schema (or the other way round)
 * fails {@link #everyKeyTheReaderAcceptsIsInTheSchemaAndNoOther} with the key's path in the message.
 *
 * <p>The schema describes the file as YAML 1.2 reads it (what {@link ConfigFile} and editors with the
 * yaml-language-server see): {@code retries: 2} is an integer, {@code grace: 30s} a string. It is checked
 * against the draft 2020-12 meta-schema and used with the networknt validator.
 */
class ConfigSchemaTest {
    /** The module's directory is the working directory of its tests; the schema ships with lb-cli. */
    static final Path SCHEMA = Path.of("../lb-cli/src/dist/conf/niolb.schema.json");
    static final Path EXAMPLE = Path.of("../lb-cli/src/dist/conf/niolb.yaml");
    static final String MODELINE = "# yaml-language-server: $schema=niolb.schema.json";

    /** Every map the reader has, with the least it needs: the maps left out are read as empty ones. */
    private static final String PROBE = """
        listeners:
          - bind: 127.0.0.1:8080
        groups:
          - name: g
            servers:
              - address: 127.0.0.1:80
        """;
    /**
     * Keys with no default in the schema: sections, keys the user gives, keys derived from other keys, and
     * accept-proxy-from, whose absence (every peer) no value can write: an empty list trusts no peer.
     */
    private static final Set<String> NO_DEFAULT = Set.of("defaults", "admin", "listeners", "groups", "dns", "name",
        "bind", "protocol", "group", "servers", "address", "token-file", "metrics-address", "access-log-file", "syslog",
        "accept-proxy-from");
    /** Keys another key must go with for the reader to take any value of them. */
    private static final Map<String, String> COMPANION = Map.of(
        "hash-balance-factor", "balance: source",
        "proxy-udp", "send-proxy: v2");

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static JsonNode schemaNode;
    private static Schema schema;

    @BeforeAll
    static void loadSchema() throws IOException {
        schemaNode = JSON.readTree(Files.readString(SCHEMA));
        schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(schemaNode);
    }

    @Test
    void theSchemaIsAValidDraft202012Schema() {
        final Schema meta = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
            .getSchema(SchemaLocation.of("https://json-schema.org/draft/2020-12/schema"));
        assertThat(meta.validate(schemaNode)).isEmpty();
        assertThat(schemaNode.get("$schema").asString()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
    }

    @Test
    void everyKeyTheReaderAcceptsIsInTheSchemaAndNoOther() {
        final KeyLog log = new KeyLog();
        ConfigFile.parse(PROBE, "probe.yaml", log);
        final Map<String, Set<String>> read = log.keys();
        final Map<String, JsonNode> objects = objectsByPath();

        final Set<String> missing = new TreeSet<>();
        final Set<String> extra = new TreeSet<>();
        final Set<String> paths = new TreeSet<>(read.keySet());
        paths.addAll(objects.keySet());
        for (final String path : paths) {
            final Set<String> readerKeys = read.getOrDefault(path, Set.of());
            final Set<String> schemaKeys = objects.containsKey(path)
                ? new TreeSet<>(objects.get(path).get("properties").propertyNames()) : Set.of();
            readerKeys.stream().filter(k -> !schemaKeys.contains(k)).forEach(k -> missing.add(key(path, k)));
            schemaKeys.stream().filter(k -> !readerKeys.contains(k)).forEach(k -> extra.add(key(path, k)));
        }
        assertThat(missing.isEmpty() && extra.isEmpty()).as("%s is out of step with ConfigReader.%n"
            + "  Keys the reader accepts that the schema lacks (add each with description, type, range, default): %s%n"
            + "  Keys in the schema that the reader refuses as unknown: %s", SCHEMA, missing, extra).isTrue();
    }

    @Test
    void everyKeyInTheSchemaHasADescriptionAndADefaultUnlessTheUserGivesIt() {
        final List<String> problems = new ArrayList<>();
        objectsByPath().forEach((path, object) -> object.get("properties").properties().forEach(e -> {
            if (resolve(e.getValue()).has("not")) {
                return; // a key the reader knows only to refuse it with a better message
            }
            if (attribute(e.getValue(), "description") == null) {
                problems.add(key(path, e.getKey()) + ": no description");
            }
            if (!NO_DEFAULT.contains(e.getKey()) && attribute(e.getValue(), "default") == null) {
                problems.add(key(path, e.getKey()) + ": no default");
            }
        }));
        assertThat(problems).isEmpty();
    }

    @Test
    void theSchemaAndTheReaderAgreeOnEveryIntegerBoundAndEveryNamedValue() {
        final List<String> disagreements = new ArrayList<>();
        int tried = 0;
        for (final Map.Entry<String, JsonNode> object : objectsByPath().entrySet()) {
            for (final Map.Entry<String, JsonNode> p : object.getValue().get("properties").properties()) {
                for (final String value : probeValues(resolve(p.getValue()))) {
                    tried++;
                    final String yaml = document(object.getKey(), p.getKey(), value);
                    final List<Error> errors = schema.validate(tree(yaml));
                    String refusal = null;
                    try {
                        ConfigFile.parse(yaml, "probe.yaml");
                    } catch (final ConfigFileException e) {
                        refusal = e.getMessage();
                    }
                    if (errors.isEmpty() != (refusal == null)) {
                        disagreements.add(key(object.getKey(), p.getKey()) + ": " + value + ": the schema "
                            + (errors.isEmpty() ? "accepts it" : "refuses it (" + errors.getFirst().getMessage() + ")")
                            + ", the reader " + (refusal == null ? "accepts it" : "refuses it (" + refusal + ")"));
                    }
                }
            }
        }
        assertThat(tried).as("values tried").isGreaterThan(100);
        assertThat(disagreements).isEmpty();
    }

    @Test
    void theSchemaDefaultsAreWhatTheReaderAppliesWhenAKeyIsLeftOut() {
        final Map<String, Object> written = yaml(ConfigWriter.write(ConfigFile.parse(PROBE, "probe.yaml")));
        final Map<String, Object> listener = map(list(written.get("listeners")).getFirst());
        final Map<String, Object> group = map(list(written.get("groups")).getFirst());
        final Map<String, Map<String, Object>> effective = Map.of(
            "defaults", map(written.get("defaults")), "admin", map(written.get("admin")),
            "dns", map(written.get("dns")), "listeners[]", listener, "groups[]", group,
            "groups[].servers[]", map(list(group.get("servers")).getFirst()));
        final Map<String, String> wrong = new TreeMap<>();
        int compared = 0;
        for (final Map.Entry<String, JsonNode> object : objectsByPath().entrySet()) {
            for (final Map.Entry<String, JsonNode> p : object.getValue().get("properties").properties()) {
                final JsonNode def = attribute(p.getValue(), "default");
                if (def == null || p.getKey().equals("threads")) { // threads: auto is one per core, decided here
                    continue;
                }
                // in defaults, a listener or group option is written out on the listener or group it applies to
                Map<String, Object> where = effective.getOrDefault(object.getKey(), Map.of());
                if (!where.containsKey(p.getKey())) {
                    where = listener.containsKey(p.getKey()) ? listener : group;
                }
                final String expected = text(JSON.treeToValue(def, Object.class));
                String actual = where.containsKey(p.getKey()) ? text(where.get(p.getKey())) : "(not written)";
                if (object.getKey().equals("admin") && p.getKey().equals("address") && !where.containsKey("address")) {
                    // left out when it need not bind (written, it must): then the default address runs
                    actual = ConfigFile.parse(PROBE, "probe.yaml").admin().required() ? actual
                        : dev.niolb.config.AdminConfig.DEFAULT_ADDRESS;
                }
                compared++;
                if (!expected.equals(actual)) {
                    wrong.put(key(object.getKey(), p.getKey()), "schema " + expected + ", reader " + actual);
                }
            }
        }
        assertThat(compared).as("defaults compared").isGreaterThan(40);
        assertThat(wrong).isEmpty();
    }

    @Test
    void theShippedExampleNamesTheSchemaForEditorsAndIsValidAgainstIt() throws IOException {
        final String example = Files.readString(EXAMPLE);
        assertThat(example.lines().findFirst()).contains(MODELINE);
        assertThat(SCHEMA.resolveSibling("niolb.schema.json")).as("the modeline's relative path").exists();
        assertThat(schema.validate(tree(example))).isEmpty();
    }

    @Test
    void aMisspeltKeyOrAValueOutOfRangeIsAnErrorToTheSchemaAsToTheReader() {
        final String server = "      - address: 127.0.0.1:80";
        final String misspelt = PROBE.replace(server, server + "\n        wieght: 2");
        assertThat(schema.validate(tree(misspelt))).extracting(Error::getKeyword).contains("additionalProperties");
        assertThatThrownBy(() -> ConfigFile.parse(misspelt, "t.yaml")).hasMessageContaining("unknown key 'wieght'");
        final String outOfRange = PROBE.replace(server, server + "\n        weight: 900");
        assertThat(schema.validate(tree(outOfRange))).extracting(Error::getKeyword).contains("maximum");
        assertThatThrownBy(() -> ConfigFile.parse(outOfRange, "t.yaml")).hasMessageContaining("must be 0..256");
    }

    // ------------------------------------------------------------------------------------------- helpers

    /**
     * The object schemas of the schema by the path of the map they describe, as {@link KeyLog} names maps:
     * {@code ""} for the document, {@code defaults}, {@code listeners[]}, {@code groups[].servers[]} …
     */
    private static Map<String, JsonNode> objectsByPath() {
        final Map<String, JsonNode> objects = new TreeMap<>();
        walk(schemaNode, "", objects);
        return objects;
    }

    private static void walk(final JsonNode node, final String path, final Map<String, JsonNode> objects) {
        final JsonNode n = resolve(node);
        if (n.has("properties")) {
            objects.put(path, n);
            n.get("properties").properties().forEach(e -> walk(e.getValue(), path.isEmpty() ? e.getKey()
                : path + "." + e.getKey(), objects));
        }
        if (n.has("items")) {
            walk(n.get("items"), path + "[]", objects);
        }
        for (final String branches : List.of("anyOf", "oneOf")) {
            if (n.has(branches)) {
                n.get(branches).values().forEach(b -> walk(b, path, objects));
            }
        }
    }

    /** Every {@code $ref} to {@code #/$defs/NAME} followed to the end; any other node as it is. */
    private static JsonNode resolve(final JsonNode node) {
        final JsonNode next = referenced(node);
        return next == null ? node : resolve(next);
    }

    /** The node a {@code $ref} names, or null when {@code node} has none. */
    private static JsonNode referenced(final JsonNode node) {
        if (!node.has("$ref")) {
            return null;
        }
        final String ref = node.get("$ref").asString();
        assertThat(ref).startsWith("#/$defs/");
        return schemaNode.get("$defs").get(ref.substring("#/$defs/".length()));
    }

    /** The nearest {@code name} along a chain of {@code $ref}s (a key's own default wins over its type's). */
    private static JsonNode attribute(final JsonNode node, final String name) {
        for (JsonNode n = node; n != null; n = referenced(n)) {
            if (n.has(name)) {
                return n.get(name);
            }
        }
        return null;
    }

    /**
     * Values at the edges of what a key's schema allows: each integer bound and its neighbours outside, each
     * named value ({@code enum}, {@code const}), and one name that is none of them.
     */
    private static Set<String> probeValues(final JsonNode property) {
        final Set<String> values = new LinkedHashSet<>();
        final List<JsonNode> alternatives = new ArrayList<>(List.of(property));
        for (final String branches : List.of("anyOf", "oneOf")) {
            if (property.has(branches)) {
                property.get(branches).values().forEach(b -> alternatives.add(resolve(b)));
            }
        }
        for (final JsonNode a : alternatives) {
            if (a.has("minimum")) {
                values.add(Long.toString(a.get("minimum").asLong()));
                values.add(Long.toString(a.get("minimum").asLong() - 1));
                values.add(a.get("minimum").asLong() + ".0"); // a float of whole value: an integer to both
            }
            if (a.has("maximum")) {
                values.add(Long.toString(a.get("maximum").asLong()));
                values.add(Long.toString(a.get("maximum").asLong() + 1));
            }
            if (a.has("const")) {
                values.add(a.get("const").asString());
                values.add("bogus");
            }
            if (a.has("enum")) {
                a.get("enum").values().forEach(v -> values.add(v.asString()));
                values.add("bogus");
            }
            if (a.has("pattern") && a.get("pattern").asString().contains("kK")) { // a size: 16k, 1m
                values.addAll(sizeProbes(alternatives));
            }
            if (a.has("type") && a.get("type").asString().equals("boolean")) {
                values.addAll(List.of("true", "false", "bogus"));
            }
        }
        return values;
    }

    /**
     * A size's text forms at the edges of its integer alternative's range, in bytes (quoted: a string), in k and
     * in m: each bound and its neighbour outside, so that the string's pattern must bound what the integer does.
     */
    private static Set<String> sizeProbes(final List<JsonNode> alternatives) {
        final JsonNode range = alternatives.stream().filter(a -> a.has("minimum") && a.has("maximum")).findFirst()
            .orElseThrow(() -> new AssertionError("a size without an integer range beside it"));
        final long lo = range.get("minimum").asLong();
        final long hi = range.get("maximum").asLong();
        final Set<String> values = new LinkedHashSet<>();
        for (final long n : List.of(lo - 1, lo, hi, hi + 1)) {
            if (n >= 0) {
                values.add("'" + n + "'");
            }
        }
        for (final Map.Entry<String, Long> unit : Map.of("k", 1024L, "m", 1024L * 1024).entrySet()) {
            final long first = (lo + unit.getValue() - 1) / unit.getValue();
            final long last = hi / unit.getValue();
            for (final long n : List.of(first - 1, first, last, last + 1)) {
                if (n >= 0) {
                    values.add(n + unit.getKey());
                    values.add(n + unit.getKey().toUpperCase(java.util.Locale.ROOT));
                }
            }
        }
        values.add("'0" + lo + "'"); // a leading zero
        return values;
    }

    /** The probe document with {@code key: value} (and its companion, if any) in the map at {@code path}. */
    private static String document(final String path, final String key, final String value) {
        final Map<String, List<String>> lines = new LinkedHashMap<>();
        lines.computeIfAbsent(path, p -> new ArrayList<>()).add(key + ": " + value);
        if (COMPANION.containsKey(key)) {
            lines.get(path).add(COMPANION.get(key));
        }
        final StringBuilder yaml = new StringBuilder();
        for (final String section : List.of("defaults", "admin", "dns")) {
            if (lines.containsKey(section)) {
                yaml.append(section).append(":\n");
                lines.get(section).forEach(l -> yaml.append("  ").append(l).append('\n'));
            }
        }
        yaml.append("listeners:\n  - bind: 127.0.0.1:8080\n");
        lines.getOrDefault("listeners[]", List.of()).forEach(l -> yaml.append("    ").append(l).append('\n'));
        yaml.append("groups:\n  - name: g\n    servers:\n      - address: 127.0.0.1:80\n");
        lines.getOrDefault("groups[].servers[]", List.of())
            .forEach(l -> yaml.append("        ").append(l).append('\n'));
        lines.getOrDefault("groups[]", List.of()).forEach(l -> yaml.append("    ").append(l).append('\n'));
        assertThat(lines.keySet()).as("a map the probe document has").isSubsetOf(
            "defaults", "admin", "dns", "listeners[]", "groups[]", "groups[].servers[]");
        return yaml.toString();
    }

    /** YAML 1.2 read as the reader reads it, as a JSON tree for the validator. */
    private static JsonNode tree(final String yaml) {
        return JSON.valueToTree(new Load(LoadSettings.builder().build()).loadFromString(yaml));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> yaml(final String text) {
        return (Map<String, Object>) new Load(LoadSettings.builder().build()).loadFromString(text);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(final Object o) {
        return (Map<String, Object>) o;
    }

    private static List<Object> list(final Object o) {
        return new ArrayList<>((List<?>) o);
    }

    /** A scalar's text, or a list's as [a, b]: YAML's 10m and the schema's "10m" compare equal. */
    private static String text(final Object value) {
        return value instanceof List<?> l ? l.stream().map(ConfigSchemaTest::text).toList().toString()
            : String.valueOf(value);
    }

    private static String key(final String path, final String key) {
        return path.isEmpty() ? key : path + "." + key;
    }
}
