package dev.niolb.config.file;

import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A map of a config file that knows its path and line, reads its keys typed, and remembers which keys were asked
 * for: {@link #end()} then refuses any key nobody asked for ({@code unknown key 'wieght' (did you mean weight?)}),
 * so a reader declares a key by reading it and nothing else has to list it.
 *
 * <p>Reading a key:
 * <pre>{@code
 * Duration idle = map.duration("idle-timeout", TcpOptions.DEFAULTS.idleTimeout());
 * int weight = map.intIn("weight", 0, ServerConfig.MAX_WEIGHT, ServerConfig.DEFAULT_WEIGHT);
 * tcp = map.withInt("backlog", tcp, TcpOptions::withBacklog);   // the record validates
 * }</pre>
 * A key written with no value ({@code key:}) counts as given, and the typed readers refuse it, except where a
 * map or a list is expected (an empty one).
 *
 * <p>Not threadsafe; a reader is used by one thread while a file is read.
 */
public final class YamlMap {
    private final YamlValue self;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Set<String> known = new LinkedHashSet<>();

    private record Entry(int keyLine, YamlValue value) {
    }

    /** @param node the mapping, or null for an empty map */
    YamlMap(final YamlValue self, final MappingNode node) {
        this.self = self;
        if (node == null) {
            return;
        }
        for (final NodeTuple t : node.getValue()) {
            final YamlValue key = self.sibling(t.getKeyNode());
            if (!(t.getKeyNode() instanceof ScalarNode) || !key.isScalar()) {
                throw ConfigFileException.at(self.file(), key.line(), self.path(), "a key must be a plain word");
            }
            final String name = key.text();
            if (entries.containsKey(name)) {
                throw ConfigFileException.at(self.file(), key.line(), self.path(), "key '" + name + "' given twice"
                    + " (first on line " + entries.get(name).keyLine() + ")");
            }
            entries.put(name, new Entry(key.line(), self.child(name, t.getValueNode())));
        }
    }

    public String path() {
        return self.path();
    }

    public int line() {
        return self.line();
    }

    /** Whether the key is written (and declares it known). */
    public boolean has(final String key) {
        known.add(key);
        return entries.containsKey(key);
    }

    /** The value at {@code key}, if written; declares the key known. */
    public Optional<YamlValue> get(final String key) {
        known.add(key);
        final Entry e = entries.get(key);
        return e == null ? Optional.empty() : Optional.of(e.value());
    }

    /** The value at {@code key}, which must be written. */
    public YamlValue required(final String key) {
        final Optional<YamlValue> v = get(key);
        if (v.isPresent()) {
            return v.get();
        }
        // a misspelt key is the real mistake, not the missing one
        for (final Map.Entry<String, Entry> e : entries.entrySet()) {
            if (!known.contains(e.getKey()) && DidYouMean.closest(e.getKey(), List.of(key)).isPresent()) {
                throw ConfigFileException.at(self.file(), e.getValue().keyLine(), self.path(),
                    "unknown key '" + e.getKey() + "' (did you mean " + key + "?)");
            }
        }
        throw error("needs '" + key + "'");
    }

    /** The value at {@code key} read by {@code read}, or {@code absent} when the key is not written. */
    public <T> T value(final String key, final Function<YamlValue, T> read, final T absent) {
        return get(key).map(read).orElse(absent);
    }

    public String string(final String key, final String absent) {
        return value(key, YamlValue::text, absent);
    }

    public int intIn(final String key, final int min, final int max, final int absent) {
        return value(key, v -> v.intIn(min, max), absent);
    }

    public boolean bool(final String key, final boolean absent) {
        return value(key, YamlValue::bool, absent);
    }

    public Duration duration(final String key, final Duration absent) {
        return value(key, YamlValue::duration, absent);
    }

    public int size(final String key, final int absent) {
        return value(key, YamlValue::size, absent);
    }

    /**
     * {@code current} changed by one key, when it is written: {@code apply(current, read(value))}. An
     * {@link IllegalArgumentException} from {@code apply} (a record refusing the value) is reported at the key.
     * One line per option: {@code tcp = map.with("connect-timeout", YamlValue::duration, tcp, …)}.
     */
    public <T, V> T with(final String key, final Function<YamlValue, V> read, final T current,
                         final BiFunction<T, V, T> apply) {
        final Optional<YamlValue> v = get(key);
        if (v.isEmpty()) {
            return current;
        }
        final V value = read.apply(v.get());
        return v.get().check(() -> apply.apply(current, value));
    }

    /**
     * {@code with} for a whole number: one past an int is refused with the record's own range
     * ({@link YamlValue#checkInt}). {@code tcp = map.withInt("backlog", tcp, TcpOptions::withBacklog)}.
     */
    public <T> T withInt(final String key, final T current, final BiFunction<T, Integer, T> apply) {
        final Optional<YamlValue> v = get(key);
        return v.isEmpty() ? current : v.get().checkInt(n -> apply.apply(current, n));
    }

    /** {@code with} for a size: one past an int is refused with the record's own range ({@link YamlValue#checkSize}). */
    public <T> T withSize(final String key, final T current, final BiFunction<T, Integer, T> apply) {
        final Optional<YamlValue> v = get(key);
        return v.isEmpty() ? current : v.get().checkSize(n -> apply.apply(current, n));
    }

    /** The map at {@code key}; an empty one (at this map's line) when the key is not written. */
    public YamlMap map(final String key) {
        return get(key).map(YamlValue::map)
            .orElseGet(() -> new YamlMap(self.absentChild(key), null));
    }

    /** The list at {@code key}; empty when the key is not written. */
    public List<YamlValue> list(final String key) {
        return get(key).map(YamlValue::list).orElse(List.of());
    }

    /**
     * Runs {@code build} (a record's constructor) and reports its {@link IllegalArgumentException}: at the key the
     * message starts with, when this map has that key ({@code hash-balance-factor applies to …}), else at the map.
     */
    public <T> T build(final Supplier<T> build) {
        try {
            return build.get();
        } catch (final IllegalArgumentException e) {
            final String message = String.valueOf(e.getMessage());
            for (final Map.Entry<String, Entry> entry : entries.entrySet()) {
                if (message.startsWith(entry.getKey() + " ")) {
                    throw entry.getValue().value().error(message);
                }
            }
            throw error(message);
        }
    }

    /** An error at this map. */
    public ConfigFileException error(final String problem) {
        return self.error(problem);
    }

    /**
     * Keys of nginx and HAProxy, as their users write them, that a near spelling would send to an unrelated key or
     * to none ({@code fail-timeout} was "did you mean drain-timeout?", {@code timeout-connect} had no hint:
     * black-box testing, session 35): the key of this map they are hinted at where the map has it, and the hint.
     */
    private record Foreign(String key, String hint) {
    }

    private static final Map<String, Foreign> FOREIGN = Map.of(
        "fail-timeout", new Foreign("max-fails", "nginx's fail_timeout has no equivalent: max-fails counts failures "
            + "in a row, and a server they took DOWN is tried again every check-interval"),
        "timeout-connect", new Foreign("connect-timeout", "HAProxy's timeout connect is connect-timeout"),
        "timeout-client", new Foreign("idle-timeout", "HAProxy's timeout client and timeout server are one "
            + "idle-timeout: no bytes either way"),
        "timeout-server", new Foreign("idle-timeout", "HAProxy's timeout client and timeout server are one "
            + "idle-timeout: no bytes either way"),
        "timeout-tunnel", new Foreign("idle-timeout", "HAProxy's timeout tunnel is idle-timeout"),
        "inter", new Foreign("check-interval", "HAProxy's inter is check-interval"),
        "proxy-timeout", new Foreign("idle-timeout", "nginx's proxy_timeout is idle-timeout"),
        "proxy-connect-timeout", new Foreign("connect-timeout", "nginx's proxy_connect_timeout is connect-timeout"));

    /**
     * Refuses the first key (in file order) that no reader asked for, suggesting the known key it resembles.
     * Call it once every key of the map has been read.
     */
    public void end() {
        if (self.keyLog() != null) {
            self.keyLog().record(self.path(), known);
        }
        for (final Map.Entry<String, Entry> e : entries.entrySet()) {
            final String key = e.getKey();
            if (!known.contains(key)) {
                final Foreign foreign = FOREIGN.get(key.replace('_', '-').toLowerCase(java.util.Locale.ROOT));
                final String hint = foreign != null && known.contains(foreign.key()) ? " (" + foreign.hint() + ")"
                    : DidYouMean.closest(key, known).map(k -> " (did you mean " + k + "?)")
                    .orElse(known.isEmpty() ? " (expected none here)"
                        : known.size() <= 12 ? " (expected " + String.join(", ", known) + ")" : "");
                throw ConfigFileException.at(self.file(), e.getValue().keyLine(), self.path(),
                    "unknown key '" + key + "'" + hint);
            }
        }
    }
}
