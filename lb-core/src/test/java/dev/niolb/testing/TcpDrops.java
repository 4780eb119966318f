package dev.niolb.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The host's counters of TCP segments the kernel threw away on receipt ({@code /proc/net/netstat}), read at one
 * moment, so that a stalled transfer's failure message can say which of them rose while it ran: a loopback
 * stream whose segments are dropped waits out retransmission timeouts that double each time (13 s after six), and
 * only these counters tell that from a relay that stopped reading.
 *
 * @param values counter name (as in {@code nstat}, without the {@code TcpExt} prefix) to value; empty where the
 *               file could not be read
 */
public record TcpDrops(Map<String, Long> values) {
    /** Drops of data segments a receiver did not take, and the prunes that precede them. */
    private static final List<String> NAMES = List.of("BeyondWindow", "TCPRcvQDrop", "TCPZeroWindowDrop",
        "TCPOFODrop", "TCPBacklogDrop", "RcvPruned", "OfoPruned", "PruneCalled", "TCPRcvCollapsed");
    private static final Path NETSTAT = Path.of("/proc/net/netstat");

    /** The counters now. */
    public static TcpDrops now() {
        final Map<String, Long> values = new LinkedHashMap<>();
        try {
            final List<String> lines = Files.readAllLines(NETSTAT);
            for (int i = 0; i + 1 < lines.size(); i += 2) {
                final String[] names = lines.get(i).split("\\s+");
                final String[] numbers = lines.get(i + 1).split("\\s+");
                if (!"TcpExt:".equals(names[0])) {
                    continue;
                }
                for (int f = 1; f < Math.min(names.length, numbers.length); f++) {
                    if (NAMES.contains(names[f])) {
                        values.put(names[f], Long.parseLong(numbers[f]));
                    }
                }
            }
        } catch (final IOException | NumberFormatException e) {
            return new TcpDrops(Map.of());
        }
        return new TcpDrops(Map.copyOf(values));
    }

    /** The counters that rose from {@code before} to these, e.g. "BeyondWindow +3, PruneCalled +12"; "none" if none did. */
    public String risenSince(final TcpDrops before) {
        final StringJoiner risen = new StringJoiner(", ");
        for (final String name : NAMES) {
            final long delta = values.getOrDefault(name, 0L) - before.values.getOrDefault(name, 0L);
            if (delta != 0) {
                risen.add(name + " +" + delta);
            }
        }
        return risen.length() == 0 ? "none" : risen.toString();
    }
}
