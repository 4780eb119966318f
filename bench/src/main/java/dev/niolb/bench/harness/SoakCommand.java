package dev.niolb.bench.harness;

import dev.niolb.bench.harness.soak.Soak;
import dev.niolb.bench.harness.soak.SoakReport;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code niolb-bench soak}: a bounded soak of niolb ({@link Soak}); prints the report, writes it to
 * {@code soak.md} in the output directory, and exits 1 when a resource did not come back or a byte was lost.
 */
@Command(name = "soak", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Runs niolb under mixed TCP and UDP load with servers flapping and two reloads, then checks that "
        + "its descriptors, threads, heap and direct memory came back to their start level and that no byte of a "
        + "healthy session was lost.", "Exit 0: passed; 1: failed (the report says why)."})
public final class SoakCommand implements Callable<Integer> {
    /** The default command up to niolb's {@code run}: the JVM options the {@code ./niolb} launcher ships with. */
    static final String NIOLB_PREFIX = "{java} -Xms64m -Xmx512m -XX:MaxDirectMemorySize=512m -XX:+UseZGC"
        + " -XX:+UseCompactObjectHeaders"
        + " --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --enable-native-access=ALL-UNNAMED"
        + " -cp {project}/lb-cli/target/lb-cli.jar:{project}/lb-cli/target/lib/* dev.niolb.cli.Main";

    @Option(names = "--duration", converter = Units.DurationConverter.class, description = "Load time after the warm-up (default 10m).")
    Duration duration = Duration.ofMinutes(10);

    @Option(names = "--warmup", converter = Units.DurationConverter.class, description = "Load before the start sample (default: a tenth of the duration, 3s to 30s).")
    Duration warmup;

    @Option(names = "--settle", converter = Units.DurationConverter.class, description = "Quiet time before each sample (default 5s).")
    Duration settle = Duration.ofSeconds(5);

    @Option(names = "--threads", description = "niolb's event loops (default 2).")
    int threads = 2;

    @Option(names = "--long-sessions", description = "Long TCP sessions open at all times (default 24).")
    int longSessions = 24;

    @Option(names = "--long-life", converter = Units.DurationConverter.class, description = "Longest life of a long session (default: 30s, at most half the duration).")
    Duration longLife;

    @Option(names = "--short-rate", description = "Short TCP sessions per second (default 40).")
    double shortRate = 40;

    @Option(names = "--udp-flows", description = "UDP client threads, each a flow at a time (default 8).")
    int udpFlows = 8;

    @Option(names = "--udp-rate", description = "Datagrams per second per UDP flow (default 50).")
    double udpRate = 50;

    @Option(names = "--flap-every", converter = Units.DurationConverter.class, description = "A flapping server goes down this often; 0 for none (default 20s).")
    Duration flapEvery = Duration.ofSeconds(20);

    @Option(names = "--flap-down", converter = Units.DurationConverter.class, description = "How long it stays down (default 6s).")
    Duration flapDown = Duration.ofSeconds(6);

    @Option(names = "--reload", description = "auto, sighup or none (default auto: SIGHUP when a throwaway niolb run --config survives a SIGHUP).")
    String reload = "auto";

    @Option(names = "--fd-tolerance", description = "Descriptors allowed above the start level at the end (default 4).")
    long fdTolerance = SoakReport.Tolerances.DEFAULTS.fds();

    @Option(names = "--thread-tolerance", description = "Threads allowed above the start level at the end (default 2).")
    long threadTolerance = SoakReport.Tolerances.DEFAULTS.threads();

    @Option(names = "--heap-tolerance", converter = Units.SizeConverter.class, description = "Heap after GC allowed above the start level (default 16m).")
    int heapTolerance = (int) SoakReport.Tolerances.DEFAULTS.heapBytes();

    @Option(names = "--direct-tolerance", converter = Units.SizeConverter.class, description = "Direct memory allowed above the start level (default 4m).")
    int directTolerance = (int) SoakReport.Tolerances.DEFAULTS.directBytes();

    @Option(names = "--niolb-cmd", paramLabel = "PREFIX", description = "How to start niolb, up to and without 'run'; {java} and {project} are filled in.")
    String niolbCommand = NIOLB_PREFIX;

    @Option(names = "--project-dir", description = "The niolb checkout (default: found from the jar or the working directory).")
    Path projectDir;

    @Option(names = "--out", description = "Output directory (default: bench-results/soak-<timestamp> in the project).")
    Path out;

    @Override
    public Integer call() throws Exception {
        final Path project = projectDir != null ? projectDir.toAbsolutePath().normalize() : Harness.findProject();
        final Path outDir = out != null ? out : project.resolve("bench-results")
            .resolve("soak-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        final Soak.Settings settings = settings(project, outDir);
        System.out.println(Machine.describe());
        System.out.println("output: " + outDir);
        final SoakReport report = new Soak(settings, System.out).run();
        System.out.println();
        System.out.print(report.text());
        return report.passed() ? 0 : 1;
    }

    Soak.Settings settings(final Path project, final Path outDir) {
        final Duration warm = warmup != null ? warmup
            : Duration.ofMillis(Math.clamp(duration.toMillis() / 10, 3_000, 30_000));
        final Duration life = longLife != null ? longLife
            : Duration.ofMillis(Math.min(30_000, Math.max(2_000, duration.toMillis() / 2)));
        final Soak.ReloadMode mode;
        try {
            mode = Soak.ReloadMode.valueOf(reload.strip().toUpperCase(Locale.ROOT));
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("--reload is auto, sighup or none, not '" + reload + "'");
        }
        return new Soak.Settings(duration, warm, settle, threads, longSessions, life, shortRate, udpFlows, udpRate,
            flapEvery, flapDown, mode, prefix(niolbCommand, project), outDir,
            new SoakReport.Tolerances(fdTolerance, threadTolerance, heapTolerance, directTolerance));
    }

    /** The command's words with {@code {java}} and {@code {project}} filled in (paths with spaces survive). */
    static List<String> prefix(final String template, final Path project) {
        final List<String> words = new ArrayList<>();
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (final String word : template.strip().split("\\s+")) {
            words.add(word.replace("{java}", java).replace("{project}", project.toString()));
        }
        return words;
    }
}
