package dev.niolb.bench.harness.soak;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The outcome of a soak: the traffic the clients saw, niolb's resources at the start and the end (and the
 * peak in between), each resource judged against its tolerance, and the verdict. Immutable once built.
 */
public final class SoakReport {
    /** How much a resource may be above its start level at the end and still count as returned. */
    public record Tolerances(long fds, long threads, long heapBytes, long directBytes) {
        public static final Tolerances DEFAULTS = new Tolerances(4, 2, 16L << 20, 4L << 20);
    }

    /** One row of the resource table. */
    record Row(String resource, String start, String end, String peak, String tolerance, String verdict) {
    }

    private final String header;
    private final List<String> traffic;
    private final List<Row> rows;
    private final List<String> failures;
    private final List<String> incidents;

    private SoakReport(final String header, final List<String> traffic, final List<Row> rows,
                       final List<String> failures, final List<String> incidents) {
        this.header = header;
        this.traffic = traffic;
        this.rows = rows;
        this.failures = failures;
        this.incidents = incidents;
    }

    /** Judges the samples and the tally. */
    static SoakReport judge(final String header, final Tally tally, final ResourceSample start,
                            final ResourceSample end, final ResourceSample peak, final Tolerances tolerances,
                            final List<String> events, final List<String> extraFailures) {
        final List<String> failures = new ArrayList<>(extraFailures);
        final List<Row> rows = new ArrayList<>();
        rows.add(count("open fds", start.fds(), end.fds(), peak.fds(), tolerances.fds(), failures));
        rows.add(count("threads", start.threads(), end.threads(), peak.threads(), tolerances.threads(), failures));
        rows.add(bytes("heap after GC", start.heapAfterGc(), end.heapAfterGc(), tolerances.heapBytes(), failures));
        rows.add(bytes("direct memory", start.directBytes(), end.directBytes(), tolerances.directBytes(), failures));
        rows.add(new Row("RSS", mib(start.rssKiB() << 10), mib(end.rssKiB() << 10), mib(peak.rssKiB() << 10),
            "-", "info"));

        final List<String> traffic = new ArrayList<>();
        traffic.add(sessions("TCP long sessions", tally.longSessions));
        traffic.add(sessions("TCP short sessions", tally.shortSessions));
        traffic.add(String.format(Locale.ROOT, "TCP bytes echoed and checked: %s", mib(tally.bytesChecked.sum())));
        traffic.add("TCP bytes lost in healthy sessions: " + tally.lostBytes.sum());
        traffic.add("TCP bytes corrupt: " + tally.corruptBytes.sum());
        traffic.add(String.format(Locale.ROOT, "UDP datagrams: %,d sent, %,d answered exactly, %,d unanswered, %d corrupt",
            tally.udpSent.sum(), tally.udpAnswered.sum(), tally.udpUnanswered.sum(), tally.udpCorrupt.sum()));
        traffic.addAll(events);

        if (tally.lostBytes.sum() > 0) {
            failures.add(tally.lostBytes.sum() + " bytes lost in healthy TCP sessions");
        }
        if (tally.corruptBytes.sum() > 0) {
            failures.add(tally.corruptBytes.sum() + " corrupt TCP bytes");
        }
        if (tally.udpCorrupt.sum() > 0) {
            failures.add(tally.udpCorrupt.sum() + " corrupt UDP answers");
        }
        final long failed = tally.longSessions.failed.sum() + tally.shortSessions.failed.sum();
        if (failed > 0) {
            failures.add(failed + " TCP sessions failed with no server stop to explain it");
        }
        return new SoakReport(header, List.copyOf(traffic), List.copyOf(rows), List.copyOf(failures),
            tally.incidents());
    }

    private static String sessions(final String what, final Tally.Sessions s) {
        return String.format(Locale.ROOT, "%s: %,d (%,d whole, %,d cut by a server stop with an exact prefix, %,d failed)",
            what, s.total(), s.ok.sum(), s.cut.sum(), s.failed.sum());
    }

    private static Row count(final String name, final long start, final long end, final long peak,
                             final long tolerance, final List<String> failures) {
        final String verdict;
        if (start < 0 || end < 0) {
            verdict = "UNKNOWN";
            failures.add(name + ": could not be read");
        } else if (end - start > tolerance) {
            verdict = "FAIL";
            failures.add(name + ": " + start + " at the start, " + end + " at the end (tolerance +" + tolerance + ")");
        } else {
            verdict = "ok";
        }
        return new Row(name, Long.toString(start), Long.toString(end), peak < 0 ? "-" : Long.toString(peak),
            "+" + tolerance, verdict);
    }

    private static Row bytes(final String name, final long start, final long end, final long tolerance,
                             final List<String> failures) {
        final String verdict;
        if (start < 0 || end < 0) {
            verdict = "UNKNOWN";
            failures.add(name + ": could not be read (no JMX attach to niolb)");
        } else if (end - start > tolerance) {
            verdict = "FAIL";
            failures.add(name + ": " + mib(start) + " at the start, " + mib(end) + " at the end (tolerance +"
                + mib(tolerance) + ")");
        } else {
            verdict = "ok";
        }
        return new Row(name, mib(start), mib(end), "-", "+" + mib(tolerance), verdict);
    }

    static String mib(final long bytes) {
        return bytes < 0 ? "-" : String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    public boolean passed() {
        return failures.isEmpty();
    }

    public List<String> failures() {
        return failures;
    }

    /** The report as text: header, traffic, the resource table, the verdict and the first incidents. */
    public String text() {
        final StringBuilder b = new StringBuilder(header).append("\n\n");
        traffic.forEach(t -> b.append(t).append('\n'));
        b.append('\n');
        final String format = "| %-14s | %10s | %10s | %10s | %10s | %-7s |%n";
        b.append(String.format(Locale.ROOT, format, "niolb", "start", "end", "peak", "tolerance", "verdict"));
        b.append("| --- | ---: | ---: | ---: | ---: | --- |\n");
        for (final Row r : rows) {
            b.append(String.format(Locale.ROOT, format, r.resource(), r.start(), r.end(), r.peak(), r.tolerance(),
                r.verdict()));
        }
        b.append('\n').append(passed() ? "verdict: PASS" : "verdict: FAIL").append('\n');
        failures.forEach(f -> b.append("  - ").append(f).append('\n'));
        if (!incidents.isEmpty()) {
            b.append("first incidents:\n");
            incidents.forEach(i -> b.append("  - ").append(i).append('\n'));
        }
        return b.toString();
    }
}
