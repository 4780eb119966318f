package dev.niolb.reload;

import dev.niolb.config.ConfigValue;
import dev.niolb.config.Durations;
import dev.niolb.config.Endpoint;
import dev.niolb.config.Sizes;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What changed between two config records of one type, component by component, as users read it:
 * {@code idle-timeout 10m→1h}. Nested records are compared inside ({@code tcp.idle-timeout}), so a component a
 * later version adds to a record shows up here without this class knowing it.
 *
 * <p>Threading: stateless.
 */
public final class RecordDiff {
    /**
     * The config key an operator writes for a nested value, where it is not its path: a summary line speaks the
     * file's language ({@code udp-rcvbuf 1m→8m}, not {@code udp.receive-buffer 1048576→8388608}). The paths stay
     * what code compares.
     */
    private static final Map<String, String> KEYS = Map.ofEntries(
        Map.entry("tcp.connect-timeout", "connect-timeout"),
        Map.entry("tcp.idle-timeout", "idle-timeout"),
        Map.entry("tcp.retries", "retries"),
        Map.entry("tcp.no-delay", "nodelay"),
        Map.entry("tcp.keep-alive", "keepalive"),
        Map.entry("tcp.backlog", "backlog"),
        Map.entry("tcp.buffer-size", "buffer-size"),
        Map.entry("tcp.max-connection-age", "max-connection-age"),
        Map.entry("tcp.splice", "splice"),
        Map.entry("tcp.defer-accept", "defer-accept"),
        Map.entry("tcp.receive-buffer", "tcp-rcvbuf"),
        Map.entry("tcp.send-buffer", "tcp-sndbuf"),
        Map.entry("udp.idle-timeout", "udp-idle-timeout"),
        Map.entry("udp.responses", "udp-responses"),
        Map.entry("udp.max-flows", "udp-max-flows"),
        Map.entry("udp.retries", "retries"),
        Map.entry("udp.receive-buffer", "udp-rcvbuf"),
        Map.entry("limits.allow", "allow"),
        Map.entry("limits.deny", "deny"),
        Map.entry("limits.maxconn", "listener-maxconn"),
        Map.entry("limits.source-maxconn", "source-maxconn"),
        Map.entry("limits.source-rate", "source-rate"),
        Map.entry("limits.source-table-size", "source-table-size"),
        Map.entry("accept-proxy.enabled", "accept-proxy"),
        Map.entry("accept-proxy.trusted", "accept-proxy-from"),
        Map.entry("accept-proxy.header-timeout", "proxy-header-timeout"),
        Map.entry("accept-proxy.max-header-length", "proxy-header-max"),
        Map.entry("health.checks", "checks"),
        Map.entry("health.interval", "check-interval"),
        Map.entry("health.timeout", "check-timeout"),
        Map.entry("health.rise", "rise"),
        Map.entry("health.fall", "fall"),
        Map.entry("health.slow-start", "slowstart"),
        Map.entry("health.max-fails", "max-fails"),
        Map.entry("health.drain-timeout", "drain-timeout"),
        Map.entry("health.drain-rate", "drain-rate"),
        Map.entry("health.panic-threshold", "panic-threshold"),
        Map.entry("health.first-backup-only", "backups"),
        Map.entry("send-proxy.version", "send-proxy"),
        Map.entry("send-proxy.udp", "proxy-udp"));

    /**
     * Paths of what the config derives, not what a file says: never a change of their own. {@code admin.required}
     * (whether the address was given, so that failing to bind it fails the start) changes with the address.
     */
    private static final Set<String> DERIVED = Set.of("admin.required");

    /** Paths whose values are byte counts, written as sizes. */
    private static final Set<String> SIZES = Set.of("udp.receive-buffer", "tcp.buffer-size",
        "accept-proxy.max-header-length", "tcp.receive-buffer", "tcp.send-buffer");

    /** What an unset value means where it is not "none" (the config's own word for it). */
    private static final Map<String, String> ABSENT = Map.of("dns.resolver", "system",
        "accept-proxy.trusted", "every peer");

    private RecordDiff() {
    }

    /** One changed value, at a dotted path of user names ({@code tcp.connect-timeout}). */
    public record Field(String path, Object before, Object after) {
        @Override
        public String toString() {
            return KEYS.getOrDefault(path, path) + " " + shown(before) + "→" + shown(after);
        }

        /** Null as what it means at this path, in the words the config uses for it; sizes as sizes ({@code 8m}). */
        private String shown(final Object value) {
            if (value instanceof Integer bytes && SIZES.contains(path) && bytes > 0) {
                return Sizes.format(bytes);
            }
            // the file's words, not the model's: "udp-max-flows 3000→0" read as a cap of none (session 35)
            if ("udp.max-flows".equals(path) && Integer.valueOf(0).equals(value)) {
                return "auto";
            }
            if ("health.first-backup-only".equals(path) && value instanceof Boolean first) {
                return first ? "first" : "all";
            }
            return value == null ? ABSENT.getOrDefault(path, "none") : format(value);
        }
    }

    /**
     * The components of {@code before} and {@code after} that differ, nested records compared inside; the
     * components named in {@code skip} (Java names, top level only) are left out.
     */
    public static List<Field> between(final Record before, final Record after, final Set<String> skip) {
        if (before.getClass() != after.getClass()) {
            throw new IllegalArgumentException("cannot compare " + before.getClass() + " with " + after.getClass());
        }
        final List<Field> out = new ArrayList<>();
        collect("", before, after, skip, out);
        return out;
    }

    private static void collect(final String prefix, final Record before, final Record after, final Set<String> skip,
                                final List<Field> out) {
        for (final RecordComponent c : before.getClass().getRecordComponents()) {
            if (skip.contains(c.getName())) {
                continue;
            }
            final Object a = value(c, before);
            final Object b = value(c, after);
            if (Objects.equals(a, b)) {
                continue;
            }
            final String path = prefix + userName(c.getName());
            if (DERIVED.contains(path)) {
                continue;
            }
            if (a instanceof Record ra && b instanceof Record rb && a.getClass() == b.getClass()
                && !(a instanceof ConfigValue)) {
                collect(path + ".", ra, rb, Set.of(), out);
            } else {
                out.add(new Field(path, a, b));
            }
        }
    }

    private static Object value(final RecordComponent c, final Record r) {
        try {
            return c.getAccessor().invoke(r);
        } catch (final IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read " + c.getName() + " of " + r.getClass().getSimpleName(), e);
        }
    }

    /** {@code maxConnectionAge} → {@code max-connection-age}: the names flags and config keys use. */
    static String userName(final String javaName) {
        final StringBuilder out = new StringBuilder();
        for (int i = 0; i < javaName.length(); i++) {
            final char ch = javaName.charAt(i);
            if (Character.isUpperCase(ch)) {
                out.append('-').append(Character.toLowerCase(ch));
            } else {
                out.append(ch);
            }
        }
        return out.toString();
    }

    /** A value as users write it: durations {@code 5s}, addresses {@code HOST:PORT}, enums by their names. */
    static String format(final Object value) {
        if (value instanceof Duration d) {
            return Durations.format(d);
        }
        if (value instanceof InetSocketAddress a) {
            return Endpoint.hostPort(a);
        }
        if (value instanceof Enum<?> e) {
            return e.toString().toLowerCase(Locale.ROOT);
        }
        return String.valueOf(value);
    }
}
