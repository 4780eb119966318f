package dev.niolb.bench.harness;

import dev.niolb.bench.harness.Variant.Scenario;
import dev.niolb.bench.harness.backend.Backend;
import dev.niolb.bench.harness.load.ThroughputClient.Direction;
import dev.niolb.bench.harness.proc.FileLimit;
import dev.niolb.bench.harness.report.ReportWriter;
import dev.niolb.bench.harness.report.ResultTable;
import dev.niolb.bench.harness.report.Row;
import dev.niolb.bench.harness.target.BackendProcess;
import dev.niolb.bench.harness.target.Executables;
import dev.niolb.bench.harness.target.HaproxyConfig;
import dev.niolb.bench.harness.target.Launchers;
import dev.niolb.bench.harness.target.RunningTarget;
import dev.niolb.bench.harness.target.Target;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code niolb-bench}: the load harness. Starts the backend and the targets, runs each scenario round by
 * round with the targets in rotating order (so drift over the run spreads over all of them), prints a
 * table per scenario with ratios to {@code direct} and to the best peer, and writes {@code summary.md},
 * {@code report.html} and {@code .hgrm} files into the output directory. Every load stops by itself;
 * every process it starts it stops by PID.
 */
@Command(name = "niolb-bench", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
    subcommands = SoakCommand.class,
    description = "Measures niolb side by side with a direct connection, HAProxy (without and with splice) and nginx.",
    footer = {"", "With no options: the quick profile, all scenarios, targets " + Harness.DEFAULT_TARGETS + " (a few minutes).",
        "Leave a peer out by naming the others, e.g. --targets direct,niolb,haproxy,nginx."})
public final class Harness implements Callable<Integer> {

    @Option(names = "--quick", description = "The quick profile (the default): 0.5 s warm-up, 2 s windows, 3 rounds.")
    boolean quick;

    @Option(names = "--full", description = "The full profile: 2 s warm-up, 8 s windows, 5 rounds, bulk down too.")
    boolean full;

    @Option(names = "--scenarios", split = ",", paramLabel = "LIST",
        description = "Of throughput, rr, connrate, concurrency, udp (default: all).")
    List<String> scenarios = List.of("throughput", "rr", "connrate", "concurrency", "udp");

    @Option(names = "--targets", split = ",", paramLabel = "LIST",
        description = "Of direct, niolb, haproxy, haproxy-splice (HAProxy with option splice-request "
            + "and splice-response), nginx and "
            + "NAME=HOST:PORT[,udp=HOST:PORT][,pid=PID] (default: " + DEFAULT_TARGETS + ").")
    List<String> targets;

    @Option(names = "--peers", split = ",", paramLabel = "LIST", description = "Peers to start and add: haproxy, haproxy-splice, nginx.")
    List<String> peers = List.of();

    @Option(names = "--target", paramLabel = "NAME=HOST:PORT", description = "An external proxy already forwarding to the backend (repeatable).")
    List<String> external = List.of();

    @Option(names = "--rounds", description = "Rounds per scenario; the table shows the median.")
    Integer rounds;

    @Option(names = "--warmup", converter = Units.DurationConverter.class, description = "Unmeasured start of each run (500ms, 2s).")
    Duration warmup;

    @Option(names = "--duration", converter = Units.DurationConverter.class, description = "Measured window of each run.")
    Duration duration;

    @Option(names = "--threads", description = "Threads (niolb, HAProxy) or worker processes (nginx) of each proxy (default 1).")
    Integer threads;

    @Option(names = "--bulk", split = ",", description = "Throughput directions: up, down, both.")
    List<String> bulk;

    @Option(names = "--bulk-connections", description = "Connections of the throughput scenario (default 1).")
    Integer bulkConnections;

    @Option(names = "--bulk-buffer", converter = Units.SizeConverter.class, description = "Bytes per write/read in bulk (128k).")
    Integer bulkBuffer;

    @Option(names = "--rr", split = ",", description = "rr variants: max, fixed.")
    List<String> rrModes;

    @Option(names = "--connections", description = "Persistent connections of the rr scenario (default 1).")
    Integer rrConnections;

    @Option(names = "--size", converter = Units.SizeConverter.class, description = "Request size of rr and connrate (default 64).")
    Integer size;

    @Option(names = "--rate", description = "Total requests/s of the fixed-rate rr variant (default 5000).")
    Double rate;

    @Option(names = "--connrate-clients", description = "Client threads of connrate (default 2).")
    Integer connrateClients;

    @Option(names = "--idle", description = "Idle connections the concurrency scenario holds (default 10000; capped by the open-file limit).")
    Integer idle;

    @Option(names = "--hold", converter = Units.DurationConverter.class, description = "How long concurrency holds them (2s).")
    Duration hold;

    @Option(names = "--udp-flows", description = "UDP client sockets (default 2).")
    Integer udpFlows;

    @Option(names = "--udp-size", converter = Units.SizeConverter.class, description = "Datagram size (default 64).")
    Integer udpSize;

    @Option(names = "--prewarm", converter = Units.DurationConverter.class,
        description = "Unmeasured run of each scenario's load on each target before its round one (default 1s; 0ms for none).")
    Duration prewarm = Duration.ofSeconds(1);

    @Option(names = "--backend", description = "process (default: a child JVM) or inprocess.")
    String backendMode = "process";

    @Option(names = "--backend-threads", description = "Event loops of the TCP backend (default 1).")
    int backendThreads = 1;

    @Option(names = "--backend-port", description = "TCP port of the backend (default: ephemeral); fix it for external targets.")
    int backendPort;

    @Option(names = "--backend-udp-port", description = "UDP port of the backend (default: ephemeral).")
    int backendUdpPort;

    @Option(names = "--host", description = "Loopback address everything binds to (default 127.0.0.1).")
    String host = "127.0.0.1";

    @Option(names = "--project-dir", description = "The niolb checkout (default: found from the jar or the working directory).")
    Path projectDir;

    @Option(names = "--niolb-cmd", paramLabel = "TEMPLATE",
        description = "How to start niolb; {java} {project} {listen} {server} {threads} are filled in, {udp-listen} "
            + "becomes niolb's UDP listener flag.")
    String niolbCommand = Launchers.NIOLB_COMMAND;

    @Option(names = "--out", description = "Output directory (default: bench-results/<timestamp> in the project).")
    Path out;

    /** The targets of the standard comparison. */
    static final String DEFAULT_TARGETS = "direct,niolb,haproxy,haproxy-splice,nginx";

    /**
     * Descriptors a proxy needs besides two per held connection: listeners, epoll, logs, a JVM's jars, and
     * {@link HaproxyConfig#MIN_SPLICE_PIPES} pipes of two descriptors each for {@code haproxy-splice}.
     */
    private static final int FD_HEADROOM = 256;

    private final List<AutoCloseable> started = new ArrayList<>();
    private String commandLine = "";

    public static void main(final String[] args) {
        final Harness harness = new Harness();
        harness.commandLine = "niolb-bench" + (args.length == 0 ? "" : " " + String.join(" ", args));
        final CommandLine command = new CommandLine(harness);
        command.setExecutionExceptionHandler((e, line, parsed) -> {
            final StringBuilder message = new StringBuilder("niolb-bench: ").append(e.getMessage());
            for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
                message.append(": ").append(cause.getMessage());
            }
            line.getErr().println(message);
            return 1;
        });
        System.exit(command.execute(args));
    }

    @Override
    public Integer call() throws Exception {
        final Settings settings = settings();
        final List<Scenario> scenarioList = scenarios.stream()
            .map(s -> Scenario.valueOf(s.strip().toUpperCase(Locale.ROOT))).toList();
        final Path project = projectDir != null ? projectDir.toAbsolutePath().normalize() : findProject();
        final Path outDir = out != null ? out : project.resolve("bench-results")
            .resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(outDir);
        final PrintStream console = System.out;
        final Thread hook = new Thread(this::stopAll, "niolb-bench-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            final long need = descriptorsNeeded(settings.idle(), splicePipes(settings.bulkConnections()));
            final int idleConnections = fitIdle(need, settings.idle(), scenarioList.contains(Scenario.CONCURRENCY), console);
            final Settings run = withIdle(settings, idleConnections);
            final String machine = Machine.describe();
            console.println(machine);
            console.println("output: " + outDir);

            final InetAddress address = InetAddress.getByName(host);
            final InetSocketAddress[] backend = startBackend(address, outDir);
            final List<Target> list = startTargets(project, outDir, run, backend[0], backend[1], console);
            console.println("targets: " + String.join(", ", list.stream().map(t -> t.name() + " "
                + Target.format(t.tcp()) + (t.hasProcess() ? " (pid " + t.pid() + ")" : "")).toList()));

            final int nameWidth = list.stream().mapToInt(t -> t.name().length()).max().orElse(1);
            final ScenarioRunner runner = new ScenarioRunner(run);
            final List<ResultTable> tables = new ArrayList<>();
            final List<ReportWriter.Chart> charts = new ArrayList<>();
            for (Variant variant : runner.variants(scenarioList)) {
                final int variantRounds = variant.scenario() == Scenario.CONCURRENCY ? 1 : run.rounds();
                final Map<Target, List<Measurement>> results = new LinkedHashMap<>();
                list.forEach(t -> results.put(t, new ArrayList<>()));
                if (!prewarm.isZero()) {
                    for (Target target : list) {
                        if (runner.warm(variant, target, prewarm) > 0) {
                            ScenarioRunner.pause(Duration.ofMillis(200));
                        }
                    }
                }
                for (int round = 0; round < variantRounds; round++) {
                    for (int i = 0; i < list.size(); i++) {
                        final Target target = list.get((i + round) % list.size());
                        final Measurement m = runner.measure(variant, target);
                        results.get(target).add(m);
                        console.printf("[%s] round %d/%d %-" + nameWidth + "s %s%n", variant.id(), round + 1,
                            variantRounds, target.name(), ScenarioRunner.describe(variant, m));
                        if (!m.skipped()) {
                            ScenarioRunner.pause(Duration.ofMillis(200));
                        }
                    }
                }
                final List<Row> rows = new ArrayList<>();
                final Map<String, Histogram> histograms = new LinkedHashMap<>();
                results.forEach((target, rounds) -> {
                    final boolean allSkipped = rounds.stream().allMatch(Measurement::skipped);
                    rows.add(ScenarioRunner.aggregate(target, rounds));
                    if (variant.latency() && !allSkipped) {
                        histograms.put(target.name(), ScenarioRunner.mergedLatency(rounds));
                    }
                });
                final ResultTable table = new ResultTable(variant.id(), variant.title(), variant.settings(),
                    variant.columns(), rows);
                tables.add(table);
                if (variant.latency()) {
                    charts.add(new ReportWriter.Chart(variant.id(), variant.title(), histograms));
                }
                console.println();
                console.println(table.toText());
            }
            final String header = machine + "\ncommand: " + commandLine + "\nthreads per proxy: " + run.proxyThreads()
                + "; backend: " + backendMode + " with " + backendThreads + " loop(s)\n"
                + "ratios: ×direct = figure / direct's; ×best peer = figure / the best of the peers (HAProxy with and"
                + " without splice, nginx, external) in that column's direction; proxy CPU = utime+stime of the proxy's processes"
                + " from /proc/PID/stat over the measured window";
            ReportWriter.write(outDir, header, tables, charts);
            Files.writeString(outDir.resolve("command.txt"), commandLine + System.lineSeparator(), StandardCharsets.UTF_8);
            console.println("wrote " + outDir.resolve("summary.md") + ", " + outDir.resolve("report.html") + " and .hgrm files");
            return 0;
        } finally {
            stopAll();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or has run
            }
        }
    }

    private Settings settings() {
        if (quick && full) {
            throw new CommandLine.ParameterException(new CommandLine(this), "choose --quick or --full, not both");
        }
        final Settings base = full ? Settings.full() : Settings.quick();
        return new Settings(
            or(warmup, base.warmup()), or(duration, base.duration()), or(rounds, base.rounds()),
            or(threads, base.proxyThreads()),
            bulk == null ? base.bulkDirections() : bulk.stream().map(Direction::parse).toList(),
            or(bulkConnections, base.bulkConnections()), or(bulkBuffer, base.bulkBuffer()),
            rrModes == null ? base.rrModes() : rrModes.stream().map(m -> checkRr(m.strip())).toList(),
            or(rrConnections, base.rrConnections()), or(size, base.size()), or(rate, base.rate()),
            or(connrateClients, base.connrateClients()), or(idle, base.idle()), or(hold, base.hold()),
            or(udpFlows, base.udpFlows()), or(udpSize, base.udpSize()));
    }

    private static String checkRr(final String mode) {
        if (!mode.equals("max") && !mode.equals("fixed")) {
            throw new IllegalArgumentException("rr variants are max and fixed, not '" + mode + "'");
        }
        return mode;
    }

    private static <T> T or(final T value, final T fallback) {
        return value != null ? value : fallback;
    }

    private static Settings withIdle(final Settings s, final int idle) {
        return new Settings(s.warmup(), s.duration(), s.rounds(), s.proxyThreads(), s.bulkDirections(),
            s.bulkConnections(), s.bulkBuffer(), s.rrModes(), s.rrConnections(), s.size(), s.rate(),
            s.connrateClients(), idle, s.hold(), s.udpFlows(), s.udpSize());
    }

    /**
     * Kernel pipes of {@code haproxy-splice}: one per direction of each bulk connection, at least
     * {@link HaproxyConfig#MIN_SPLICE_PIPES}.
     */
    static int splicePipes(final int bulkConnections) {
        return Math.max(HaproxyConfig.MIN_SPLICE_PIPES, 2 * bulkConnections);
    }

    /**
     * Descriptors a proxy needs to hold {@code idle} client connections: two sockets each, the headroom, and two
     * for each of {@code haproxy-splice}'s pipes beyond those the headroom covers.
     */
    static long descriptorsNeeded(final int idle, final int splicePipes) {
        return 2L * idle + FD_HEADROOM + 2L * Math.max(0, splicePipes - HaproxyConfig.MIN_SPLICE_PIPES);
    }

    /** HAProxy's {@code maxconn} for {@code idle} held connections, within {@link #descriptorsNeeded}. */
    static int haproxyMaxconn(final int idle) {
        return idle + FD_HEADROOM / 8;
    }

    /**
     * A proxy holding K client connections holds 2K sockets. Raise this process's open-file limit (the
     * children inherit it) with prlimit when it is too low and we may; otherwise cap K and say so. The
     * proxies' own connection limits are sized from K, so this runs even without the concurrency scenario.
     *
     * @param need descriptors for {@code wanted} connections, {@link #descriptorsNeeded}
     */
    private static int fitIdle(final long need, final int wanted, final boolean announce, final PrintStream console) {
        OptionalLong soft = FileLimit.soft();
        if (soft.isPresent() && soft.getAsLong() < need && Executables.find("prlimit").isPresent()) {
            try {
                final Process p = new ProcessBuilder("prlimit", "--pid", Long.toString(ProcessHandle.current().pid()),
                    "--nofile=" + need + ":" + need).redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                p.waitFor(5, TimeUnit.SECONDS);
            } catch (IOException e) {
                // fall through to the cap
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            soft = FileLimit.soft();
        }
        if (soft.isPresent() && soft.getAsLong() < need) {
            final int capped = (int) Math.max(1, (soft.getAsLong() - (need - 2L * wanted)) / 2);
            if (announce) {
                console.println("concurrency: capped at " + capped + " idle connections by the open-file limit "
                    + soft.getAsLong() + " (a proxy needs two descriptors per connection; raise it with ulimit -n)");
            }
            return capped;
        }
        return wanted;
    }

    private InetSocketAddress[] startBackend(final InetAddress address, final Path outDir) throws IOException {
        if (backendMode.equals("inprocess")) {
            final Backend backend = Backend.start(address, backendPort, backendUdpPort, backendThreads);
            started.add(backend);
            return new InetSocketAddress[] {backend.tcpAddress(), backend.udpAddress()};
        }
        if (!backendMode.equals("process")) {
            throw new IllegalArgumentException("--backend is process or inprocess, not " + backendMode);
        }
        final BackendProcess backend = BackendProcess.start(java(), address, backendPort, backendUdpPort,
            backendThreads, outDir.resolve("logs/backend.log"));
        started.add(backend);
        return new InetSocketAddress[] {backend.tcpAddress(), backend.udpAddress()};
    }

    private List<Target> startTargets(final Path project, final Path outDir, final Settings run,
                                      final InetSocketAddress backendTcp, final InetSocketAddress backendUdp,
                                      final PrintStream console) {
        final boolean defaults = targets == null;
        final List<String> names = new ArrayList<>(defaults ? List.of(DEFAULT_TARGETS.split(",")) : targets);
        peers.stream().map(String::strip).filter(p -> !names.contains(p)).forEach(names::add);
        names.addAll(external);
        final List<Target> list = new ArrayList<>();
        final Path configs = outDir.resolve("configs");
        for (String name : names) {
            try {
                switch (name.strip()) {
                    case "direct" -> list.add(new Target("direct", Target.Role.DIRECT, backendTcp, backendUdp, -1, null));
                    case "niolb" -> {
                        final Path jar = project.resolve("lb-cli/target/lb-cli.jar");
                        if (niolbCommand.equals(Launchers.NIOLB_COMMAND) && !Files.exists(jar)) {
                            throw new IOException("not built: " + jar + " is missing (mvn -pl lb-core,lb-cli package)");
                        }
                        list.add(keep(Launchers.niolb(niolbCommand, java(), project, outDir.resolve("logs"),
                            run.proxyThreads(), backendTcp, backendUdp)));
                    }
                    case "haproxy" -> list.add(keep(Launchers.haproxy(binary("haproxy"), configs, run.proxyThreads(),
                        backendTcp, haproxyMaxconn(run.idle()))));
                    case "haproxy-splice" -> list.add(keep(Launchers.haproxySplice(binary("haproxy"), configs,
                        run.proxyThreads(), backendTcp, haproxyMaxconn(run.idle()),
                        splicePipes(run.bulkConnections()))));
                    case "nginx" -> list.add(keep(Launchers.nginx(binary("nginx"), configs, run.proxyThreads(),
                        backendTcp, backendUdp, 2 * run.idle() + FD_HEADROOM / 2)));
                    default -> list.add(Target.parseExternal(name));
                }
            } catch (IOException | RuntimeException e) {
                console.println("target " + name + " left out: " + e.getMessage());
                final boolean asked = !defaults || peers.contains(name) || external.contains(name);
                if (asked) {
                    throw new IllegalStateException("target " + name + " could not start", e);
                }
            }
        }
        if (list.isEmpty()) {
            throw new IllegalStateException("no target to measure");
        }
        return list;
    }

    private static Path binary(final String name) throws IOException {
        return Executables.find(name).orElseThrow(() -> new IOException(name + " is not installed"));
    }

    private Target keep(final RunningTarget running) {
        started.add(running.process());
        return running.target();
    }

    private synchronized void stopAll() {
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (Exception e) {
                System.err.println("stopping: " + e);
            }
        }
        started.clear();
    }

    private static Path java() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    /**
     * The checkout: the {@code niolb.project} system property (the script sets it), else a directory above the
     * jar or the working directory that holds {@code lb-cli/pom.xml}.
     */
    static Path findProject() {
        final String property = System.getProperty("niolb.project");
        if (property != null && !property.isBlank()) {
            return Path.of(property).toAbsolutePath().normalize();
        }
        try {
            final Path jar = Path.of(Harness.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path dir = jar.getParent(); dir != null; dir = dir.getParent()) {
                if (Files.exists(dir.resolve("lb-cli/pom.xml"))) {
                    return dir;
                }
            }
        } catch (Exception e) {
            // fall back to the working directory
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.exists(dir.resolve("lb-cli/pom.xml"))) {
                return dir;
            }
        }
        return Path.of("").toAbsolutePath();
    }
}
