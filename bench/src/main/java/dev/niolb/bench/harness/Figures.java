package dev.niolb.bench.harness;

/**
 * The harness's arithmetic, from what it counts (bytes or operations in the measured window, the proxy's CPU clock
 * ticks, resident memory in KiB) to the figures in its tables. Kept apart so that each formula is checked against
 * inputs with known answers ({@code FiguresTest}): a factor of 1,000 against 1,024 or a tick mistaken for a
 * millisecond would otherwise show only as a plausible-looking number. Stateless; pure functions.
 */
public final class Figures {
    /** Bytes in a MiB: CPU per byte is given per MiB moved. */
    public static final double MIB = 1024.0 * 1024.0;

    private Figures() {
    }

    /** Bits per second in units of 10^9, from the bytes moved in {@code seconds}. */
    public static double gbitPerSecond(final long bytes, final double seconds) {
        return bytes * 8 / seconds / 1e9;
    }

    /** Operations (requests, connections, datagrams) per second. */
    public static double perSecond(final long operations, final double seconds) {
        return operations / seconds;
    }

    /** CPU time in microseconds, from clock ticks at {@code ticksPerSecond} ({@code getconf CLK_TCK}). */
    public static double cpuMicros(final long ticks, final long ticksPerSecond) {
        return ticks * 1_000_000.0 / ticksPerSecond;
    }

    /** CPU time as a share of one core over {@code seconds} of wall time, in percent: two busy cores are 200. */
    public static double cpuPercent(final double cpuMicros, final double seconds) {
        return cpuMicros / (seconds * 1_000_000.0) * 100;
    }

    /** CPU microseconds per operation. */
    public static double cpuMicrosPerOperation(final double cpuMicros, final long operations) {
        return cpuMicros / operations;
    }

    /** CPU microseconds per MiB moved. */
    public static double cpuMicrosPerMiB(final double cpuMicros, final long bytes) {
        return cpuMicros / (bytes / MIB);
    }

    /** Resident memory added per connection, in KiB, from the RSS (KiB) before and while holding them. */
    public static double kibPerConnection(final long rssBeforeKiB, final long rssHeldKiB, final int connections) {
        return (rssHeldKiB - rssBeforeKiB) / (double) connections;
    }

    /** Bytes (of heap or direct memory) added per connection. */
    public static double bytesPerConnection(final long before, final long after, final int connections) {
        return (after - before) / (double) connections;
    }

    /** A resident size in KiB as MiB. */
    public static double mib(final long kib) {
        return kib / 1024.0;
    }
}
