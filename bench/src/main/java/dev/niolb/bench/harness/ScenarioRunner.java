package dev.niolb.bench.harness;

import dev.niolb.bench.harness.Variant.Scenario;
import dev.niolb.bench.harness.load.ConnRateClient;
import dev.niolb.bench.harness.load.IdleConnections;
import dev.niolb.bench.harness.load.Load;
import dev.niolb.bench.harness.load.LoadWindow;
import dev.niolb.bench.harness.load.RrClient;
import dev.niolb.bench.harness.load.ThroughputClient;
import dev.niolb.bench.harness.load.ThroughputClient.Direction;
import dev.niolb.bench.harness.load.UdpClient;
import dev.niolb.bench.harness.proc.ClockTicks;
import dev.niolb.bench.harness.proc.JvmMemory;
import dev.niolb.bench.harness.proc.ProcessTree;
import dev.niolb.bench.harness.report.Column;
import dev.niolb.bench.harness.report.Column.Better;
import dev.niolb.bench.harness.report.ResultTable;
import dev.niolb.bench.harness.report.Row;
import dev.niolb.bench.harness.target.Target;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.HdrHistogram.Histogram;

/**
 * Runs one scenario variant against one target and turns rounds of measurements into a table. Each
 * measurement starts a bounded load, reads the counters and the proxy's CPU time at the edges of the
 * measurement window (so warm-up and tear-down are not counted), and waits for the load to stop.
 * Used from one thread.
 */
public final class ScenarioRunner {

    private static final Duration PING_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration OPEN_TIMEOUT = Duration.ofSeconds(60);

    private final Settings settings;

    public ScenarioRunner(final Settings settings) {
        this.settings = settings;
    }

    /** The variants of the named scenarios, in the order given. */
    public List<Variant> variants(final List<Scenario> scenarios) {
        final List<Variant> variants = new ArrayList<>();
        final String rounds = "median of " + settings.rounds() + " rounds";
        for (Scenario scenario : scenarios) {
            switch (scenario) {
                case THROUGHPUT -> {
                    for (Direction direction : settings.bulkDirections()) {
                        final String way = switch (direction) {
                            case UP -> "one way, client → backend";
                            case DOWN -> "one way, backend → client";
                            case BOTH -> "both ways at once, Gbit/s summed over the two directions";
                        };
                        variants.add(new Variant("throughput-" + direction.name().toLowerCase(Locale.ROOT),
                            scenario, direction.name(), "throughput " + direction.name().toLowerCase(Locale.ROOT),
                            way + "; " + settings.bulkConnections() + " connection(s), "
                                + settings.bulkBuffer() / 1024 + " KiB writes; " + rounds,
                            List.of(Column.ratios("gbps", "Gbit/s", 2, Better.HIGHER),
                                Column.peerRatio("cpu_per_op", "proxy CPU µs/MiB", 1, Better.LOWER),
                                Column.plain("cpu_pct", "proxy CPU %", 0, Better.LOWER)),
                            false));
                    }
                }
                case RR -> {
                    for (String mode : settings.rrModes()) {
                        final boolean fixed = mode.equals("fixed");
                        variants.add(new Variant("rr-" + mode, scenario, mode,
                            fixed ? "rr at a fixed " + ResultTable.number(settings.rate(), 0) + " req/s" : "rr at max rate",
                            settings.rrConnections() + " persistent connection(s), " + settings.size()
                                + "-byte ping-pong; "
                                + (fixed ? "latency from the intended send time (coordinated-omission-corrected); "
                                : "back to back; ")
                                + "req/s " + rounds + ", percentiles over all rounds",
                            fixed ? withServiceTime(latencyColumns("req/s", "proxy CPU µs/req"))
                                : latencyColumns("req/s", "proxy CPU µs/req"), true));
                    }
                }
                case CONNRATE -> variants.add(new Variant("connrate", scenario, "", "connrate",
                    "open, send " + settings.size() + " bytes, read the reply, close; " + settings.connrateClients()
                        + " client threads; latency from connect to the reply's first byte; " + rounds,
                    latencyColumns("conn/s", "proxy CPU µs/conn"), true));
                case CONCURRENCY -> variants.add(new Variant("concurrency", scenario, "", "concurrency",
                    "hold " + ResultTable.number(settings.idle(), 0) + " idle connections for "
                        + settings.hold().toMillis() + " ms; answered = echoed a byte after the hold; "
                        + "RSS of the proxy's processes; for a JVM also its heap in use after a full GC (as the "
                        + "collector counts it), the bytes of its live objects (class histogram) and its direct "
                        + "buffers per connection; one round",
                    List.of(Column.plain("held", "held", 0, Better.HIGHER),
                        Column.plain("answered", "answered", 0, Better.HIGHER),
                        Column.plain("rss_before", "RSS idle MiB", 1, Better.LOWER),
                        Column.plain("rss_after", "RSS held MiB", 1, Better.LOWER),
                        Column.peerRatio("kib_per_conn", "KiB/conn", 2, Better.LOWER),
                        Column.plain("heap_per_conn", "JVM heap B/conn", 0, Better.LOWER),
                        Column.plain("live_per_conn", "JVM live objects B/conn", 0, Better.LOWER),
                        Column.plain("direct_per_conn", "JVM direct B/conn", 0, Better.LOWER),
                        Column.ratios("open_rate", "opened/s", 0, Better.HIGHER)),
                    false));
                case UDP -> variants.add(new Variant("udp", scenario, "", "udp",
                    settings.udpFlows() + " flows, " + settings.udpSize() + "-byte datagram ping-pong; " + rounds,
                    latencyColumns("datagrams/s", "proxy CPU µs/datagram"), true));
            }
        }
        return variants;
    }

    private static List<Column> latencyColumns(final String rate, final String cpu) {
        return List.of(
            Column.ratios("rate", rate, 0, Better.HIGHER),
            Column.plain("p50", "p50 µs", 1, Better.LOWER),
            Column.plain("p90", "p90 µs", 1, Better.LOWER),
            Column.ratios("p99", "p99 µs", 1, Better.LOWER),
            Column.plain("p999", "p99.9 µs", 1, Better.LOWER),
            Column.plain("max", "max µs", 0, Better.LOWER),
            Column.peerRatio("cpu_per_op", cpu, 1, Better.LOWER),
            Column.plain("cpu_pct", "proxy CPU %", 0, Better.LOWER));
    }

    /** Adds the uncorrected p50/p99 (from the actual send time) after the corrected percentiles. */
    private static List<Column> withServiceTime(final List<Column> columns) {
        final List<Column> out = new ArrayList<>(columns);
        final int at = out.indexOf(out.stream().filter(c -> c.key().equals("max")).findFirst().orElseThrow()) + 1;
        out.add(at, Column.plain("svc_p99", "service p99 µs", 1, Better.LOWER));
        out.add(at, Column.plain("svc_p50", "service p50 µs", 1, Better.LOWER));
        return out;
    }

    /** Measures one variant once against one target. */
    public Measurement measure(final Variant variant, final Target target) {
        return switch (variant.scenario()) {
            case CONCURRENCY -> idle(target, settings.idle());
            case UDP -> target.udp() == null
                ? Measurement.skipped(target.name(), target.udpNote() == null ? "no udp listener" : target.udpNote())
                : windowed(target, load(variant, target, window()), false);
            default -> windowed(target, load(variant, target, window()), variant.scenario() == Scenario.THROUGHPUT);
        };
    }

    /**
     * Runs one variant's load against one target for {@code duration}, unmeasured, and returns the operations it
     * completed (0 for the concurrency scenario and for UDP without a listener, which have nothing to warm). Both
     * ends compile their code for this load here rather than in round one: the harness's own client, warmed on
     * another variant's load, took its C2 compilations (150 ms of a core) in the first measured round, so the
     * target measured first had its latency tail lengthened by a client still compiling. The fixed-rate variant
     * runs at max rate first, for as long again: a second at 5,000 req/s is too few calls for a JVM target's C2
     * (a profile of perf sched showed niolb's and the backend's C2 threads taking 100 ms each of round one).
     */
    public long warm(final Variant variant, final Target target, final Duration duration) {
        if (variant.scenario() == Scenario.CONCURRENCY || variant.scenario() == Scenario.UDP && target.udp() == null) {
            return 0;
        }
        long completed = 0;
        if (variant.scenario() == Scenario.RR && variant.mode().equals("fixed")) {
            completed += run(new RrClient(new RrClient.Settings(target.tcp(), settings.rrConnections(), settings.size(),
                0, 0), LoadWindow.startingNow(Duration.ZERO, duration)));
        }
        return completed + run(load(variant, target, LoadWindow.startingNow(Duration.ZERO, duration)));
    }

    private static long run(final Load load) {
        load.start();
        load.awaitEnd();
        return load.completed();
    }

    private Load load(final Variant variant, final Target target, final LoadWindow window) {
        return switch (variant.scenario()) {
            case THROUGHPUT -> new ThroughputClient(target.tcp(), Direction.valueOf(variant.mode()),
                settings.bulkConnections(), settings.bulkBuffer(), window);
            case RR -> new RrClient(new RrClient.Settings(target.tcp(), settings.rrConnections(),
                settings.size(), variant.mode().equals("fixed") ? settings.rate() : 0, 0), window);
            case CONNRATE -> new ConnRateClient(target.tcp(), settings.connrateClients(), settings.size(), window);
            case UDP -> new UdpClient(target.udp(), settings.udpFlows(), settings.udpSize(), 200, window);
            case CONCURRENCY -> throw new IllegalArgumentException("the concurrency scenario is not a windowed load");
        };
    }

    private LoadWindow window() {
        return LoadWindow.startingNow(settings.warmup(), settings.duration());
    }

    private Measurement windowed(final Target target, final Load load, final boolean bytes) {
        final LoadWindow window = load.window();
        load.start();
        LoadWindow.parkUntil(window.measureStart());
        final long ops0 = load.completed();
        final long cpu0 = target.hasProcess() ? ProcessTree.cpuTicks(target.pid()) : 0;
        LoadWindow.parkUntil(window.measureEnd());
        final long ops1 = load.completed();
        final long cpu1 = target.hasProcess() ? ProcessTree.cpuTicks(target.pid()) : 0;
        load.awaitEnd();
        final double seconds = window.measuredSeconds();
        final long ops = ops1 - ops0;
        final Map<String, Double> values = new HashMap<>();
        if (bytes) {
            values.put("gbps", Figures.gbitPerSecond(ops, seconds));
        } else {
            values.put("rate", Figures.perSecond(ops, seconds));
        }
        if (target.hasProcess()) {
            final double cpuMicros = Figures.cpuMicros(cpu1 - cpu0, ClockTicks.perSecond());
            values.put("cpu_pct", Figures.cpuPercent(cpuMicros, seconds));
            if (ops > 0) {
                values.put("cpu_per_op", bytes ? Figures.cpuMicrosPerMiB(cpuMicros, ops)
                    : Figures.cpuMicrosPerOperation(cpuMicros, ops));
            }
        }
        final Histogram latency = load.latency();
        if (latency != null && latency.getTotalCount() > 0) {
            putPercentiles(values, latency);
        }
        if (load instanceof RrClient rr) {
            final Histogram service = rr.serviceTime();
            if (service.getTotalCount() > 0) {
                values.put("svc_p50", service.getValueAtPercentile(50) / 1000.0);
                values.put("svc_p99", service.getValueAtPercentile(99) / 1000.0);
            }
        }
        final long errors = load.errors();
        final String first = load.firstError() == null ? "" : ", first: " + load.firstError();
        final String count = errors == 1 ? "1 error" : errors + " errors";
        final String note = ops == 0 ? "no operation completed" + (errors > 0 ? " (" + count + first + ")" : "")
            : errors > 0 ? count + first : "";
        return new Measurement(target.name(), values, latency, note, false);
    }

    private Measurement idle(final Target target, final int count) {
        final Map<String, Double> values = new HashMap<>();
        String note = "";
        final long rssBefore = target.hasProcess() ? ProcessTree.rssKiB(target.pid()) : -1;
        final Optional<JvmMemory.Sample> jvmBefore = target.hasProcess() ? JvmMemory.sample(target.pid())
            : Optional.empty();
        try (IdleConnections connections = new IdleConnections(target.tcp())) {
            final int opened = connections.open(count, System.nanoTime() + OPEN_TIMEOUT.toNanos());
            final int first = connections.ping((byte) 'x', PING_TIMEOUT);
            LoadWindow.parkUntil(System.nanoTime() + settings.hold().toNanos());
            final long rssAfter = target.hasProcess() ? ProcessTree.rssKiB(target.pid()) : -1;
            // per connection the proxy holds: one that answered the first ping is relayed; one it has not taken
            // (past its maxconn, still in the kernel's backlog) costs it nothing and must not dilute the figure
            final int held = first > 0 ? first : opened;
            if (jvmBefore.isPresent() && held > 0) {
                JvmMemory.sample(target.pid()).ifPresent(after -> {
                    values.put("heap_per_conn",
                        Figures.bytesPerConnection(jvmBefore.get().heapUsedBytes(), after.heapUsedBytes(), held));
                    values.put("direct_per_conn",
                        Figures.bytesPerConnection(jvmBefore.get().directUsedBytes(), after.directUsedBytes(), held));
                    if (jvmBefore.get().liveBytes() >= 0 && after.liveBytes() >= 0) {
                        values.put("live_per_conn",
                            Figures.bytesPerConnection(jvmBefore.get().liveBytes(), after.liveBytes(), held));
                    }
                });
            }
            final int answered = connections.ping((byte) 'y', PING_TIMEOUT);
            values.put("held", (double) opened);
            values.put("answered", (double) answered);
            values.put("open_rate", Figures.perSecond(opened, Math.max(1e-9, connections.openSeconds())));
            if (target.hasProcess()) {
                values.put("rss_before", Figures.mib(rssBefore));
                values.put("rss_after", Figures.mib(rssAfter));
                if (held > 0) {
                    values.put("kib_per_conn", Figures.kibPerConnection(rssBefore, rssAfter, held));
                }
            }
            if (opened < count) {
                note = "opened " + opened + " of " + count;
            } else if (first < opened || answered < opened) {
                note = (opened - Math.min(first, answered)) + " did not answer";
            }
        } catch (IOException e) {
            note = "failed: " + e.getMessage();
        }
        pause(Duration.ofMillis(500)); // let the target close its side
        return new Measurement(target.name(), values, null, note, false);
    }

    /** Aggregates rounds: the median of each figure, percentiles from all rounds' latencies merged. */
    public static Row aggregate(final Target target, final List<Measurement> rounds) {
        final Map<String, List<Double>> samples = new LinkedHashMap<>();
        final Set<String> notes = new LinkedHashSet<>();
        final Histogram merged = Load.newHistogram();
        for (Measurement measurement : rounds) {
            measurement.values().forEach((key, value) -> samples.computeIfAbsent(key, k -> new ArrayList<>()).add(value));
            if (!measurement.note().isEmpty()) {
                notes.add(measurement.note());
            }
            if (measurement.latency() != null) {
                merged.add(measurement.latency());
            }
        }
        final Map<String, Double> values = new HashMap<>();
        samples.forEach((key, list) -> values.put(key, median(list)));
        if (merged.getTotalCount() > 0) {
            putPercentiles(values, merged);
        }
        return new Row(target.name(), target.role(), values, String.join("; ", notes));
    }

    /** Merges all rounds' latencies; null when none were recorded. */
    public static Histogram mergedLatency(final List<Measurement> rounds) {
        final Histogram merged = Load.newHistogram();
        rounds.stream().filter(m -> m.latency() != null).forEach(m -> merged.add(m.latency()));
        return merged.getTotalCount() == 0 ? null : merged;
    }

    static double median(final List<Double> values) {
        final double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (sorted.length == 0) {
            return Double.NaN;
        }
        final int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static void putPercentiles(final Map<String, Double> values, final Histogram latency) {
        values.put("p50", latency.getValueAtPercentile(50) / 1000.0);
        values.put("p90", latency.getValueAtPercentile(90) / 1000.0);
        values.put("p99", latency.getValueAtPercentile(99) / 1000.0);
        values.put("p999", latency.getValueAtPercentile(99.9) / 1000.0);
        values.put("max", latency.getMaxValue() / 1000.0);
    }

    static void pause(final Duration duration) {
        LoadWindow.parkUntil(System.nanoTime() + duration.toNanos());
    }

    /** One line for the console: the figures of one measurement. */
    public static String describe(final Variant variant, final Measurement m) {
        if (m.skipped()) {
            return "skipped: " + m.note();
        }
        final StringBuilder out = new StringBuilder();
        for (Column column : variant.columns()) {
            final Double value = m.values().get(column.key());
            if (value != null && !Arrays.asList("p90", "p999", "svc_p50").contains(column.key())) {
                out.append(column.header()).append(' ').append(ResultTable.number(value, column.decimals())).append("  ");
            }
        }
        return (out + m.note()).strip();
    }
}
