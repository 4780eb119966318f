package dev.niolb.cli;

import dev.niolb.testing.EchoServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The distribution as an operator gets it: {@code niolb-VERSION.tar.gz} from {@code mvn package}, unpacked into a
 * temporary directory with tar, its {@code bin/niolb} run as a real process, its systemd unit checked with
 * {@code systemd-analyze}. Runs in failsafe's integration-test phase, after the tarball is built.
 */
@Timeout(120)
class DistributionIT {
    private static final String TARBALL = System.getProperty("niolb.dist.tarball");
    private static final String NAME = System.getProperty("niolb.dist.name");

    @TempDir
    static Path unpacked;
    private static Path home;

    @BeforeAll
    static void unpack() throws Exception {
        assertThat(TARBALL).as("niolb.dist.tarball, set by failsafe in lb-cli/pom.xml").isNotNull();
        assertThat(Path.of(TARBALL)).as("the tarball mvn package builds").isRegularFile();
        final Result tar = run(unpacked, Map.of(), "tar", "-xzf", TARBALL, "-C", unpacked.toString());
        assertThat(tar.exitCode()).as(tar.toString()).isZero();
        home = unpacked.resolve(NAME);
    }

    @Test
    void everyRelativeLinkOfTheShippedDocumentsResolvesInsideTheTarball() throws IOException {
        final java.util.regex.Pattern link = java.util.regex.Pattern.compile("\\]\\(([^)#:\\s]+)(#[^)]*)?\\)");
        final java.util.List<String> dangling = new java.util.ArrayList<>();
        int links = 0;
        try (Stream<Path> files = Files.walk(home)) {
            for (final Path md : files.filter(p -> p.toString().endsWith(".md")).toList()) {
                final java.util.regex.Matcher m = link.matcher(Files.readString(md));
                while (m.find()) {
                    links++;
                    if (!Files.exists(md.getParent().resolve(m.group(1)).normalize())) {
                        dangling.add(home.relativize(md) + " -> " + m.group(1));
                    }
                }
            }
        }
        assertThat(links).as("links found").isGreaterThan(10);
        assertThat(dangling).isEmpty();
    }

    @Test
    void theTarballHoldsTheLauncherTheJarsTheExampleConfigTheUnitAndTheReadme() throws IOException {
        assertThat(Files.getPosixFilePermissions(home.resolve("bin/niolb"))).contains(PosixFilePermission.OWNER_EXECUTE,
            PosixFilePermission.OTHERS_EXECUTE);
        assertThat(home.resolve("conf/niolb.yaml")).hasSameTextualContentAs(CheckCommandTest.EXAMPLE);
        assertThat(home.resolve("conf/niolb.schema.json")).as("the schema the example's modeline names")
            .hasSameTextualContentAs(Path.of("src/dist/conf/niolb.schema.json"));
        assertThat(home.resolve("systemd/niolb.service")).isRegularFile();
        assertThat(home.resolve("README.md")).isRegularFile();
        assertThat(home.resolve("docs/CONFIGURATION.md")).isRegularFile();
        assertThat(home.resolve("docs/OPERATIONS.md")).isRegularFile();
        assertThat(home.resolve("docs/SCALING.md")).as("README links it").isRegularFile();
        assertThat(home.resolve("conf/grafana/niolb-dashboard.json")).hasSameTextualContentAs(MonitoringFilesTest.DASHBOARD);
        assertThat(home.resolve("conf/prometheus/niolb-alerts.yml")).hasSameTextualContentAs(MonitoringFilesTest.RULES);
        try (Stream<Path> jars = Files.list(home.resolve("lib"))) {
            assertThat(jars.map(p -> p.getFileName().toString()).toList()).anyMatch(n -> n.startsWith("lb-cli-"))
                .anyMatch(n -> n.startsWith("lb-core-")).anyMatch(n -> n.startsWith("snakeyaml-engine-"))
                .anyMatch(n -> n.startsWith("logback-classic-")).anyMatch(n -> n.startsWith("picocli-"));
        }
    }

    @Test
    void theTarballHoldsAManPagePerCommandAndTheShellCompletion() {
        for (final String page : List.of("niolb", "niolb-run", "niolb-check", "niolb-stats", "niolb-reload",
            "niolb-server", "niolb-server-drain", "niolb-server-ready", "niolb-server-maint", "niolb-server-weight",
            "niolb-server-add", "niolb-server-remove")) {
            assertThat(home.resolve("man/man1/" + page + ".1")).isRegularFile().content().startsWith("'\\\" t");
        }
        assertThat(home.resolve("completion/niolb")).content().contains("complete -F _complete_niolb");
        assertThat(home.resolve("completion/_niolb")).content().startsWith("#compdef niolb\n");
    }

    /** man(1) renders the page: the troff asciidoctor wrote is valid and names the command and its flags. */
    @Test
    void theServerDrainManPageRendersWithItsSynopsisAndFlags(@TempDir final Path dir) throws Exception {
        assumeTrue(onPath("man"), "man is not installed (package man-db)");

        final Result man = run(dir, Map.of("MANWIDTH", "100", "LC_ALL", "C.UTF-8"), "man", "-l",
            home.resolve("man/man1/niolb-server-drain.1").toString());

        assertThat(man.exitCode()).as(man.toString()).isZero();
        assertThat(man.out()).contains("niolb-server-drain - Take no new sessions on the server",
            "niolb server drain [-hV] [--admin=HOST:PORT] [--admin-forwarded-to=HOST:PORT]", "[--admin-token-file=FILE] [--config=FILE]", "GROUP SERVER");
    }

    @Test
    void theManPagesCarryTheExitCodesAndTheExamplesTheHelpShows() {
        assertThat(home.resolve("man/man1/niolb.1")).content().contains("EXIT CODES", "usage error",
            "a config run cannot start with");
        assertThat(home.resolve("man/man1/niolb-check.1")).content().contains("EXAMPLES", "systemctl reload niolb");
        assertThat(home.resolve("man/man1/niolb-run.1")).content().contains("EXAMPLES", "Durations: 250ms");
    }

    /** The generated bash completion, sourced into a real bash and asked as bash asks on TAB. */
    @Test
    void theBashCompletionCompletesCommandsServerVerbsAndFlags(@TempDir final Path dir) throws Exception {
        assertThat(complete(dir, "niolb", "ser")).containsExactly("server");
        assertThat(complete(dir, "niolb", "server", "dr")).containsExactly("drain");
        assertThat(complete(dir, "niolb", "run", "--access-log-f")).containsExactly("--access-log-file");
    }

    /**
     * The zsh completion from the tarball's {@code completion/} on fpath, in an interactive zsh on a pseudo-terminal
     * (zsh's zpty): TAB after {@code niolb server dr} completes the word, read back as the line zsh redraws.
     */
    @Test
    void theZshCompletionCompletesAServerVerbInARealZsh(@TempDir final Path dir) throws Exception {
        assumeTrue(onPath("zsh"), "zsh is not installed (.ci/install-test-deps installs it)");
        final Path script = Files.writeString(dir.resolve("complete.zsh"), """
            zmodload zsh/zpty
            zpty shell 'zsh -f -i'
            zpty -w shell 'PS1="> "; fpath=(%s $fpath); autoload -U compinit; compinit -u'
            zpty -w -n shell $'niolb server dr\\t'
            zpty -r shell line '*niolb server drain*'
            print -r -- "$line"
            zpty -d shell
            """.formatted(home.resolve("completion")));

        final Result zsh = run(dir, Map.of("TERM", "dumb"), "timeout", "30", "zsh", "-f", script.toString());

        assertThat(zsh.exitCode()).as(zsh.toString()).isZero();
        assertThat(zsh.out()).contains("niolb server drain");
    }

    /** The words bash would offer for the last of {@code words}. */
    private static List<String> complete(final Path dir, final String... words) throws Exception {
        final String script = "source '" + home.resolve("completion/niolb") + "'\n"
            + "COMP_WORDS=(" + String.join(" ", words) + "); COMP_CWORD=" + (words.length - 1) + "\n"
            + "COMP_LINE='" + String.join(" ", words) + "'; COMP_POINT=${#COMP_LINE}\n"
            + "_complete_niolb; printf '%s\\n' \"${COMPREPLY[@]}\"\n";
        final Result bash = run(dir, Map.of(), "bash", "-c", script);
        assertThat(bash.exitCode()).as(bash.toString()).isZero();
        return bash.out().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    @Test
    void checkAcceptsTheShippedExampleConfig() throws Exception {
        final Result check = niolb(Map.of(), "check", "--config", "conf/niolb.yaml");

        assertThat(check.exitCode()).as(check.toString()).isZero();
        assertThat(check.out()).startsWith("# conf/niolb.yaml is valid.").contains("  - name: web\n");
        assertThat(check.err()).isEmpty();
    }

    @Test
    void underTheCLocaleNamesAndPathsBeyondAsciiReachNiolbWhole(@TempDir final Path dir) throws Exception {
        final Path config = Files.writeString(dir.resolve("配置.yaml"),
            Files.readString(home.resolve("conf/niolb.yaml")).replace("- name: dns-udp\n", "- name: dns-wéb-组\n"),
            StandardCharsets.UTF_8);

        final Result check = niolb(Map.of("LC_ALL", "C", "LANG", "C"), "check", "--config", config.toString());

        assertThat(check.exitCode()).as(check.toString()).isZero();
        assertThat(check.out()).startsWith("# " + config + " is valid.").contains("dns-wéb-组");
    }

    @Test
    void checkOfABrokenConfigIsOneLineAndExitCode1(@TempDir final Path dir) throws Exception {
        final Path broken = Files.writeString(dir.resolve("broken.yaml"),
            Files.readString(home.resolve("conf/niolb.yaml")).replace("balance: leastconn", "balance: fastest"));

        final Result check = niolb(Map.of(), "check", "--config", broken.toString());

        assertThat(check.exitCode()).isEqualTo(1);
        assertThat(check.out()).isEmpty();
        assertThat(check.err().lines().toList()).singleElement().asString()
            .startsWith("niolb: " + broken + ":").contains(": groups[0].balance: unknown balance algorithm 'fastest'");
    }

    @Test
    void theLauncherGivesTheJvmOptionsForAProxyAndJavaOptsOverridesThem() throws Exception {
        final Result defaults = niolb(Map.of("JAVA_OPTS", "-XX:+PrintCommandLineFlags"), "run", "--help");
        assertThat(defaults.exitCode()).as(defaults.toString()).isZero();
        assertThat(defaults.out()).contains("-XX:MaxHeapSize=536870912", "-XX:InitialHeapSize=67108864",
            "-XX:MaxDirectMemorySize=536870912", "-XX:+UseZGC", "-XX:+UseCompactObjectHeaders",
            "-XX:+ExitOnOutOfMemoryError");

        final Result overridden = niolb(Map.of("JAVA_OPTS",
            "-XX:+PrintCommandLineFlags -Xmx32m -XX:+UseSerialGC -XX:-UseCompactObjectHeaders"), "run", "--help");
        assertThat(overridden.exitCode()).as(overridden.toString()).isZero();
        assertThat(overridden.out()).contains("-XX:MaxHeapSize=33554432", "-XX:+UseSerialGC")
            .doesNotContain("UseZGC", "InitialHeapSize=67108864", "+UseCompactObjectHeaders");
    }

    @Test
    void aCommandThatOnlyTalksToNiolbRunsOnTheSerialCollectorWithTheFirstCompilerOnly() throws Exception {
        for (final String command : new String[] {"version", "stats"}) {
            final Result client = niolb(Map.of("JAVA_OPTS", "-XX:+PrintCommandLineFlags"), command, "--help");
            assertThat(client.exitCode()).as(client.toString()).isZero();
            assertThat(client.out()).as(command).contains("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-XX:MaxHeapSize=536870912").doesNotContain("UseZGC");
        }
        final Result chosen = niolb(Map.of("JAVA_OPTS",
            "-XX:+PrintCommandLineFlags -XX:+UseParallelGC -XX:-TieredCompilation"), "version");
        assertThat(chosen.out()).contains("-XX:+UseParallelGC", "-XX:-TieredCompilation").doesNotContain("UseSerialGC",
            "TieredStopAtLevel");
    }

    @Test
    void javaOptsSettingOnlyTheInitialOrOnlyTheMaximumHeapStartsWithoutTheLaunchersOther() throws Exception {
        // -Xms1g beside the launcher's -Xmx512m: "Initial heap size set to a larger value than the maximum heap size"
        final Result initial = niolb(Map.of("JAVA_OPTS", "-XX:+PrintCommandLineFlags -Xms1g"), "run", "--help");
        assertThat(initial.exitCode()).as(initial.toString()).isZero();
        assertThat(initial.out()).contains("-XX:InitialHeapSize=1073741824").doesNotContain("MaxHeapSize=536870912");

        final Result maximum = niolb(Map.of("JAVA_OPTS", "-XX:+PrintCommandLineFlags -XX:MaxHeapSize=32m"),
            "run", "--help");
        assertThat(maximum.exitCode()).as(maximum.toString()).isZero();
        assertThat(maximum.out()).contains("-XX:MaxHeapSize=33554432").doesNotContain("InitialHeapSize=67108864");

        // a soft goal within the maximum is no size: it kept no maximum at all (a 6 GB heap on a 24 GB host)
        final Result soft = niolb(Map.of("JAVA_OPTS", "-XX:+PrintCommandLineFlags -XX:SoftMaxHeapSize=100m"),
            "run", "--help");
        assertThat(soft.exitCode()).as(soft.toString()).isZero();
        assertThat(soft.out()).contains("-XX:MaxHeapSize=536870912", "-XX:SoftMaxHeapSize=104857600");
    }

    @Test
    void aJavaHomeWithoutAJavaIsPassedOverAndSaidSo() throws Exception {
        final Result version = niolb(Map.of("JAVA_HOME", "/nonexistent/jdk"), "version");

        assertThat(version.exitCode()).as(version.toString()).isZero();
        assertThat(version.out()).startsWith("niolb ");
        assertThat(version.err().strip()).startsWith("niolb: JAVA_HOME=/nonexistent/jdk has no bin/java: using /")
            .doesNotContain("\n");
    }

    @Test
    void theJvmsOwnWarningsGoToStderrNotAmongACommandsOutput() throws Exception {
        final Result version = niolb(Map.of("JAVA_OPTS", "-XX:+UseLargePages"), "version");

        assertThat(version.exitCode()).as(version.toString()).isZero();
        assertThat(version.out()).startsWith("niolb ").doesNotContain("warning");
    }

    @Test
    void javaOptsNamingG1IsTheOnlyCollector() throws Exception {
        final Result g1 = niolb(Map.of("JAVA_OPTS", "-XX:+PrintCommandLineFlags -XX:+UseG1GC"), "run", "--help");

        assertThat(g1.exitCode()).as(g1.toString()).isZero(); // two collectors: "Multiple garbage collectors selected"
        assertThat(g1.out()).contains("-XX:+UseG1GC").doesNotContain("UseZGC");
    }

    /** A closed descriptor 1 was taken by ZGC's heap file: log lines went into the heap and the JVM crashed. */
    @Test
    void runWithStdinStdoutAndStderrClosedGetsDevNullForThem(@TempDir final Path dir) throws Exception {
        final ProcessBuilder pb = new ProcessBuilder("bash", "-c", "exec \"$0\" run --listen 127.0.0.1:0 --server"
            + " 127.0.0.1:9 --admin none <&- >&- 2>&-", home.resolve("bin/niolb").toString());
        pb.environment().putAll(javaHome());
        pb.environment().remove("JAVA_OPTS");
        final Process niolb = pb.start();
        try {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!niolb.info().command().orElse("").endsWith("java") && System.nanoTime() < deadline) {
                Thread.sleep(20); // until the launcher has exec'd the JVM
            }
            for (final int fd : new int[] {0, 1, 2}) {
                assertThat(Files.readSymbolicLink(Path.of("/proc/" + niolb.pid() + "/fd/" + fd))).as("fd " + fd)
                    .isEqualTo(Path.of("/dev/null"));
            }
        } finally {
            niolb.destroyForcibly();
            niolb.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** The container image's JAVA_OPTS: the heap and direct memory follow the memory there is, no fixed size wins. */
    @Test
    void aHeapSizedAsAShareOfMemoryDropsTheLaunchersFixedSizes() throws Exception {
        final Result share = niolb(Map.of("JAVA_OPTS", "-XX:+PrintCommandLineFlags -XX:MaxRAMPercentage=25"),
            "run", "--help");

        assertThat(share.exitCode()).as(share.toString()).isZero();
        assertThat(share.out()).contains("-XX:MaxRAMPercentage=25.000000", "-XX:+UseZGC")
            .doesNotContain("-XX:MaxHeapSize=536870912", "-XX:InitialHeapSize=67108864", "MaxDirectMemorySize");
    }

    @Test
    void theLauncherWorksThroughASymlinkFromAnyDirectory(@TempDir final Path dir) throws Exception {
        final Path link = Files.createSymbolicLink(dir.resolve("niolb"), home.resolve("bin/niolb"));

        final Result version = run(dir, javaHome(), link.toString(), "version");

        assertThat(version.exitCode()).as(version.toString()).isZero();
        assertThat(version.out()).startsWith("niolb ");
    }

    /** The launcher execs the JVM: the PID a service manager sees is niolb's own, so SIGTERM stops it gracefully. */
    @Test
    void runFromTheDistributionServesAndStopsGracefullyOnSigterm(@TempDir final Path dir) throws Exception {
        try (EchoServer server = new EchoServer("dist")) {
            final Path config = Files.writeString(dir.resolve("niolb.yaml"), """
                defaults:
                  threads: 1
                  grace: 1s
                listeners:
                  - bind: 127.0.0.1:0
                groups:
                  - name: web
                    servers: [127.0.0.1:%d]
                """.formatted(server.address().getPort()));
            final Path out = dir.resolve("out");
            final ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/niolb").toString(), "run", "--config",
                config.toString()).redirectOutput(out.toFile()).redirectErrorStream(true);
            pb.environment().putAll(javaHome());
            final Process niolb = pb.start();
            try {
                final Matcher listening = awaitLine(out, Pattern.compile("listening on tcp://127\\.0\\.0\\.1:(\\d+)"));
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), Integer.parseInt(listening.group(1)))) {
                    assertThat(RunProcessTest.readLine(client)).isEqualTo("dist");
                }
                assertThat(niolb.info().command().orElse("")).as("the process is java, not the shell").endsWith("java");
                new ProcessBuilder("kill", "-TERM", Long.toString(niolb.pid())).start().waitFor();
                assertThat(niolb.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(niolb.exitValue()).as(Files.readString(out)).isZero();
                // the client's session may still be closing when the signal lands: 0 or 1 session
                assertThat(Files.readString(out)).containsPattern("stopping: (0 sessions|1 session), grace 1s \\(SIGTERM\\)");
            } finally {
                niolb.destroyForcibly();
            }
        }
    }

    @Test
    void theSystemdUnitPassesSystemdAnalyzeVerify(@TempDir final Path dir) throws Exception {
        assumeTrue(onPath("systemd-analyze"), "systemd-analyze is not installed (.ci/install-test-deps installs systemd)");
        final Path unit = unitAt(dir);

        final Result verify = run(dir, Map.of("SYSTEMD_LOG_COLOR", "0"), "systemd-analyze", "verify", unit.toString());

        assertThat(verify.exitCode()).as(verify.toString()).isZero();
        assertThat(verify.out() + verify.err()).as("warnings").isBlank();
    }

    /** {@code systemd-analyze security}: 0 is locked down, 10 unprotected; the README quotes the figure. */
    @Test
    void theSystemdUnitIsHardened(@TempDir final Path dir) throws Exception {
        assumeTrue(onPath("systemd-analyze"), "systemd-analyze is not installed (.ci/install-test-deps installs systemd)");
        final Result security = run(dir, Map.of("SYSTEMD_LOG_COLOR", "0"), "systemd-analyze", "security",
            "--offline=true", "--no-pager", unitAt(dir).toString());
        assumeTrue(!security.err().contains("--offline"), "this systemd-analyze has no --offline (systemd < 250)");

        final Matcher level = Pattern.compile("Overall exposure level for niolb\\.service: (\\d+\\.\\d+)")
            .matcher(security.out());
        assertThat(level.find()).as(security.toString()).isTrue();
        assertThat(Double.parseDouble(level.group(1))).as(security.out()).isLessThanOrEqualTo(2.0);
    }

    /** The shipped unit with /opt/niolb pointing at the unpacked distribution, so that ExecStart exists. */
    private static Path unitAt(final Path dir) throws IOException {
        final String unit = Files.readString(home.resolve("systemd/niolb.service"));
        assertThat(unit).contains("ExecStart=/opt/niolb/bin/niolb run --config /etc/niolb/niolb.yaml");
        return Files.writeString(dir.resolve("niolb.service"), unit.replace("/opt/niolb/", home + "/"));
    }

    private static Result niolb(final Map<String, String> env, final String... args) throws Exception {
        final List<String> command = new ArrayList<>(List.of(home.resolve("bin/niolb").toString()));
        command.addAll(List.of(args));
        final java.util.HashMap<String, String> all = new java.util.HashMap<>(javaHome());
        all.putAll(env);
        return run(home, all, command.toArray(String[]::new));
    }

    /** The JDK running this test, which is the one the build uses (>= 25). */
    private static Map<String, String> javaHome() {
        return Map.of("JAVA_HOME", System.getProperty("java.home"));
    }

    static boolean onPath(final String command) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(":"), new String[] {"/usr/bin", "/bin"})
            .flatMap(Stream::of).anyMatch(d -> Files.isExecutable(Path.of(d, command)));
    }

    static Matcher awaitLine(final Path out, final Pattern pattern) throws Exception {
        final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            final Matcher m = pattern.matcher(Files.readString(out));
            if (m.find()) {
                return m;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no line matching " + pattern + " in:\n" + Files.readString(out));
    }

    record Result(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout ---\n" + out + "--- stderr ---\n" + err;
        }
    }

    static Result run(final Path dir, final Map<String, String> env, final String... command) throws Exception {
        return run(dir, env, Duration.ofSeconds(60), command);
    }

    /** As {@link #run(Path, Map, String...)}, with a hang guard of {@code limit} (no feature of ours is timed). */
    static Result run(final Path dir, final Map<String, String> env, final Duration limit, final String... command)
        throws Exception {
        final Path out = Files.createTempFile("niolb-it", ".out");
        final Path err = Files.createTempFile("niolb-it", ".err");
        try {
            final ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().remove("JAVA_OPTS");
            pb.environment().putAll(env);
            final Process p = pb.start();
            if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("still running after " + limit.toSeconds() + "s: " + String.join(" ", command));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
