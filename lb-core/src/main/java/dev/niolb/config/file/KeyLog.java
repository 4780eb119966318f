package dev.niolb.config.file;

import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The keys a reader asked for in each map of one document, by the map's path with list indices as {@code []}
 * ({@code groups[].servers[]}): what the reader accepts there, since {@link YamlMap#end()} refuses every other
 * key. The config file's JSON Schema is held to it by a test, so the schema cannot lag behind a key added to
 * {@link ConfigReader}.
 *
 * <p>Not threadsafe: one document read by one thread.
 */
final class KeyLog {
    private final Map<String, Set<String>> keys = new TreeMap<>();

    /** A map at {@code path} was read to its end, asking for {@code known}. */
    void record(final String path, final Collection<String> known) {
        keys.computeIfAbsent(path.replaceAll("\\[\\d+]", "[]"), p -> new TreeSet<>()).addAll(known);
    }

    /** Map path to the keys read there, for every map read so far. */
    Map<String, Set<String>> keys() {
        return Collections.unmodifiableMap(keys);
    }
}
