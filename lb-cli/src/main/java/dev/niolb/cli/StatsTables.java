package dev.niolb.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code /api/stats} as terminal tables: a summary line, the listeners, then each group's servers. The same
 * numbers as the stats page, in plain text that fits 120 columns for a handful of servers.
 *
 * <p>Reads the parsed JSON ({@link dev.niolb.json.JsonReader}: maps, lists, longs, doubles); a missing field
 * shows as {@code -}, so an older or newer niolb still prints what it has.
 */
final class StatsTables {
    private StatsTables() {
    }

    static String render(final Map<String, Object> stats) {
        final StringBuilder out = new StringBuilder();
        out.append("niolb  uptime ").append(uptime(num(stats, "uptime_ms")))
            .append("  sessions ").append(count(stats.get("sessions")))
            .append("  maxconn ").append(maxconn(stats))
            .append("  loops ").append(count(stats.get("loops")))
            .append("  buffers in use ").append(count(stats.get("buffers_in_use")))
            .append("  direct memory ").append(bytes(stats.get("direct_memory_bytes")))
            .append('\n');
        final Table listeners = new Table(4, "LISTENER", "PROTO", "ADDRESS", "GROUP", "ACTIVE", "TOTAL", "IN", "OUT",
            "CONN ERR", "REFUSED", "RESETS", "P50", "P99");
        final List<Map<String, Object>> live = list(stats.get("listeners"));
        final List<Map<String, Object>> all = new ArrayList<>(live);
        all.addAll(list(stats.get("retiring_listeners"))); // removed by a reload, their sessions still open
        for (int i = 0; i < all.size(); i++) {
            final Map<String, Object> l = all.get(i);
            final Map<String, Object> ended = map(l.get("ended"));
            final Map<String, Object> dropped = map(l.get("dropped"));
            final Map<String, Object> rejected = map(l.get("rejected"));
            final Map<String, Object> session = map(l.get("session_ms"));
            listeners.row(text(l.get("name")) + (i >= live.size() ? " (removed)" : ""), text(l.get("protocol")),
                text(l.get("address")), text(l.get("group")),
                count(l.get("active")), count(l.get("accepted")), bytes(l.get("bytes_in")), bytes(l.get("bytes_out")),
                count(l.get("connect_failures")),
                count(endedRefused(l, ended) + sum(rejected, rejected.keySet().toArray(String[]::new))
                    + sum(dropped, "flow_limit", "no_server", "connect_failure", "not_resent", "from_server", "full", "no_socket", "stopping", "acl", "source_limit",
                        "source_rate", "proxy_header")),
                count(sum(ended, "client_reset", "server_reset", "internal_error")),
                millis(session.get("p50")), millis(session.get("p99")));
        }
        out.append('\n').append(listeners);
        final List<Map<String, Object>> liveGroups = list(stats.get("groups"));
        final List<Map<String, Object>> allGroups = new ArrayList<>(liveGroups);
        allGroups.addAll(list(stats.get("retiring_groups"))); // removed by a reload, its servers' sessions open
        for (int gi = 0; gi < allGroups.size(); gi++) {
            final Map<String, Object> g = allGroups.get(gi);
            final List<Map<String, Object>> servers = list(g.get("servers"));
            out.append('\n').append("GROUP ").append(text(g.get("name")))
                .append(gi >= liveGroups.size() ? " (removed)" : "").append("  ")
                .append(count(g.get("servers_up"))).append('/').append(servers.size()).append(" up  balance ")
                .append(text(g.get("balance")));
            if (Boolean.TRUE.equals(g.get("backups_active"))) {
                out.append("  backups active");
            }
            if (Boolean.TRUE.equals(g.get("panic"))) {
                out.append("  in panic");
            }
            out.append('\n');
            final Table table = new Table(3, "SERVER", "ADDRESS", "STATE", "WEIGHT", "ACTIVE", "TOTAL", "CONN ERR", "IN",
                "OUT", "CONNECT P50", "P99", "SESSION P50", "P99");
            final List<Map<String, Object>> rows = new ArrayList<>(servers);
            rows.addAll(list(g.get("retiring"))); // removed, their sessions still open
            for (int i = 0; i < rows.size(); i++) {
                final Map<String, Object> s = rows.get(i);
                final Map<String, Object> connect = map(s.get("connect_ms"));
                final Map<String, Object> session = map(s.get("session_ms"));
                final String weight = count(s.get("weight"));
                final Object effective = s.get("effective_weight");
                final boolean differs = effective instanceof Number e && s.get("weight") instanceof Number w
                    && e.doubleValue() != w.doubleValue();
                table.row(text(s.get("name")) + (Boolean.TRUE.equals(s.get("backup")) ? " (backup)" : "")
                        + (i >= servers.size() ? " (removed)" : ""),
                    text(s.get("address")), text(stateShown(s)),
                    differs ? weight + " (" + decimal(effective) + ")" : weight,
                    count(s.get("active")), count(s.get("total")), count(s.get("connect_failures")),
                    bytes(s.get("bytes_in")), bytes(s.get("bytes_out")), millis(connect.get("p50")),
                    millis(connect.get("p99")), millis(session.get("p50")), millis(session.get("p99")));
            }
            out.append(table);
        }
        return out.toString();
    }

    /** Columns padded to their widest cell: the first {@code left} (names, addresses) to the left, numbers right. */
    private static final class Table {
        private final List<String[]> rows = new ArrayList<>();
        private final int left;

        Table(final int left, final String... header) {
            this.left = left;
            rows.add(header);
        }

        void row(final String... cells) {
            rows.add(cells);
        }

        @Override
        public String toString() {
            final int columns = rows.getFirst().length;
            final int[] width = new int[columns];
            for (int c = 0; c < columns; c++) {
                for (final String[] r : rows) {
                    width[c] = Math.max(width[c], width(r[c]));
                }
            }
            final StringBuilder out = new StringBuilder();
            for (final String[] r : rows) {
                final StringBuilder line = new StringBuilder();
                for (int c = 0; c < columns; c++) {
                    final String pad = " ".repeat(width[c] - width(r[c]));
                    line.append(c == 0 ? "" : "  ").append(c >= left ? pad + r[c] : r[c] + pad);
                }
                out.append(line.toString().stripTrailing()).append('\n');
            }
            return out.toString();
        }
    }

    /**
     * The columns {@code text} takes on a terminal: a wide character (CJK, Hangul, fullwidth forms: East Asian Wide
     * and Fullwidth) two, a combining mark none, any other one. Names may be in any script; counted in chars, a
     * server named {@code 服务器-一} pushed every later column of its row four cells right.
     */
    static int width(final String text) {
        int width = 0;
        for (int i = 0; i < text.length(); ) {
            final int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            final int type = Character.getType(cp);
            if (type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK || type == Character.FORMAT) {
                continue;
            }
            width += wide(cp) ? 2 : 1;
        }
        return width;
    }

    private static boolean wide(final int cp) {
        return cp >= 0x1100 && cp <= 0x115F || cp >= 0x2E80 && cp <= 0x303E || cp >= 0x3041 && cp <= 0x33FF
            || cp >= 0x3400 && cp <= 0x4DBF || cp >= 0x4E00 && cp <= 0x9FFF || cp >= 0xA000 && cp <= 0xA4CF
            || cp >= 0xAC00 && cp <= 0xD7A3 || cp >= 0xF900 && cp <= 0xFAFF || cp >= 0xFE30 && cp <= 0xFE4F
            || cp >= 0xFF00 && cp <= 0xFF60 || cp >= 0xFFE0 && cp <= 0xFFE6 || cp >= 0x1F300 && cp <= 0x1F64F
            || cp >= 0x1F900 && cp <= 0x1F9FF || cp >= 0x20000 && cp <= 0x3FFFD;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(final Object o) {
        return o instanceof List<?> l ? (List<Map<String, Object>>) l : List.of();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(final Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    /**
     * Sessions that ended refused: no server, no socket, no buffer. A UDP flow that ended for want of a server dropped its
     * datagram, which {@code dropped.no_server} or {@code dropped.connect_failure} counts already: counted once.
     */
    private static long endedRefused(final Map<String, Object> listener, final Map<String, Object> ended) {
        return sum(ended, "no_buffer", "no_socket")
            + ("udp".equals(listener.get("protocol")) ? 0 : sum(ended, "no_server", "connect_failure", "full"));
    }

    private static long sum(final Map<String, Object> counts, final String... keys) {
        long n = 0;
        for (final String k : keys) {
            if (counts.get(k) instanceof Number v) {
                n += v.longValue();
            }
        }
        return n;
    }

    private static double num(final Map<String, Object> m, final String key) {
        return m.get(key) instanceof Number n ? n.doubleValue() : -1;
    }

    /**
     * The state, and an operator's DRAIN or MAINT that it hides ({@code DOWN (drain)}): the server comes back in
     * that mode when its checks pass.
     */
    private static String stateShown(final Map<String, Object> s) {
        if (s.get("state") == null) {
            return null;
        }
        final String state = s.get("state").toString();
        final Object mode = s.get("operator_mode");
        return state.toUpperCase(Locale.ROOT) + (mode != null && !mode.equals("up") && !mode.equals(state)
            ? " (" + mode + ")" : "");
    }

    private static String text(final Object o) {
        return o == null ? "-" : TerminalText.safe(o.toString());
    }

    /** The process's connections counted against its maxconn and that maxconn: {@code 3/9,858}, or {@code none}. */
    private static String maxconn(final Map<String, Object> stats) {
        final Object max = stats.get("maxconn");
        if (max instanceof Number n && n.longValue() == 0) {
            return "none";
        }
        return count(stats.get("maxconn_open")) + "/" + count(max);
    }

    private static String count(final Object o) {
        return o instanceof Number n ? String.format(Locale.ROOT, "%,d", n.longValue()) : "-";
    }

    private static String decimal(final Object o) {
        if (!(o instanceof Number n)) {
            return "-";
        }
        final double d = n.doubleValue();
        return d == Math.rint(d) ? Long.toString((long) d) : String.format(Locale.ROOT, "%.2f", d);
    }

    static String bytes(final Object o) {
        if (!(o instanceof Number n)) {
            return "-";
        }
        double v = n.doubleValue();
        final String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        int i = 0;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return i == 0 ? (long) v + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[i]);
    }

    static String millis(final Object o) {
        if (!(o instanceof Number n)) {
            return "-";
        }
        final double v = n.doubleValue();
        if (v < 1) {
            return String.format(Locale.ROOT, "%.3f ms", v);
        }
        if (v < 1000) {
            return String.format(Locale.ROOT, "%.1f ms", v);
        }
        return String.format(Locale.ROOT, "%.2f s", v / 1000);
    }

    static String uptime(final double ms) {
        if (ms < 0) {
            return "-";
        }
        long s = (long) (ms / 1000);
        final long d = s / 86_400;
        s -= d * 86_400;
        final long h = s / 3600;
        s -= h * 3600;
        final long m = s / 60;
        s -= m * 60;
        return (d > 0 ? d + "d " : "") + (d > 0 || h > 0 ? h + "h " : "") + (d > 0 || h > 0 || m > 0 ? m + "m " : "")
            + s + "s";
    }
}
