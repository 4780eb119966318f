package dev.niolb.cli;

import dev.niolb.cli.DistributionIT.Result;
import dev.niolb.testing.EchoServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static dev.niolb.cli.DistributionIT.awaitLine;
import static dev.niolb.cli.DistributionIT.onPath;
import static dev.niolb.cli.DistributionIT.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Debian package as {@code mvn package} builds it ({@code src/deb/build-deb.sh}): its control data and file list
 * read with {@code dpkg-deb}, then the package unpacked with {@code dpkg-deb -x} into a temporary directory (never
 * installed on this machine) and niolb run from it with no Java on the PATH and no JAVA_HOME, on the runtime inside.
 * Runs in failsafe's integration-test phase.
 */
@Timeout(120)
class DebianPackageIT {
    private static final String VERSION = System.getProperty("niolb.dist.name", "niolb-").substring("niolb-".length());
    private static final Path SCRIPTS = Path.of("src/deb/DEBIAN");

    @TempDir
    static Path unpacked;
    /** An empty directory but for bash and the commands bin/niolb uses: a PATH with no java on it. */
    @TempDir
    static Path noJavaBin;
    private static Path deb;
    private static Path home;
    /**
     * Why the tests skip, or null. An assumption that fails in {@code @BeforeAll} leaves no trace in the test
     * reports (Surefire records the class as zero tests run), so each test assumes in {@code @BeforeEach} instead.
     */
    private static String skipReason;

    @BeforeAll
    static void unpack() throws Exception {
        if (Boolean.getBoolean("niolb.deb.skip")) {
            skipReason = "-Dniolb.deb.skip=true: no .deb built";
        } else if (!onPath("dpkg-deb")) {
            skipReason = "dpkg-deb is not installed (not a Debian-like system): no .deb built";
        }
        if (skipReason != null) {
            return;
        }
        final Path dir = Path.of(System.getProperty("niolb.deb.dir", "target"));
        try (Stream<Path> debs = Files.list(dir)) {
            final List<Path> found = debs.filter(p -> p.getFileName().toString().matches("niolb_.*\\.deb")).toList();
            assertThat(found).as("the one .deb mvn package builds in " + dir).hasSize(1);
            deb = found.getFirst();
        }
        final Result x = run(unpacked, Map.of(), "dpkg-deb", "-x", deb.toString(), unpacked.toString());
        assertThat(x.exitCode()).as(x.toString()).isZero();
        home = unpacked.resolve("opt/niolb");
        for (final String command : List.of("bash", "dirname", "readlink")) {
            final Path bin = Stream.of("/usr/bin", "/bin").map(d -> Path.of(d, command)).filter(Files::isExecutable)
                .findFirst().orElseThrow();
            Files.createSymbolicLink(noJavaBin.resolve(command), bin);
        }
    }

    @BeforeEach
    void aDebWasBuilt() {
        assumeTrue(skipReason == null, skipReason);
    }

    @Test
    void theControlDataNamesTheDebianVersionTheArchitectureAndNoJavaDependency() throws Exception {
        final String arch = run(unpacked, Map.of(), "dpkg", "--print-architecture").out().strip();
        assertThat(deb.getFileName().toString()).isEqualTo("niolb_" + VERSION.replace('-', '~') + "_" + arch + ".deb");

        final Result info = run(unpacked, Map.of(), "dpkg-deb", "--info", deb.toString());

        assertThat(info.exitCode()).as(info.toString()).isZero();
        assertThat(info.out()).contains(" Package: niolb\n", " Version: " + VERSION.replace('-', '~') + "\n",
            " Architecture: " + arch + "\n", " Maintainer: ", " Description: ", " Installed-Size: ",
            " Depends: libc6 (>= 2.17)\n");
        assertThat(info.out()).as("the runtime is inside: no Java package needed").doesNotContain("Pre-Depends:",
            "Recommends:");
        final Result conffiles = run(unpacked, Map.of(), "dpkg-deb", "--info", deb.toString(), "conffiles");
        assertThat(conffiles.out()).isEqualTo("/etc/niolb/niolb.yaml\n");
    }

    @Test
    void theContentsAreTheDistributionWithARuntimeTheConfigTheUnitAndTheCommandAllOwnedByRoot() throws Exception {
        final Result contents = run(unpacked, Map.of(), "dpkg-deb", "--contents", deb.toString());

        assertThat(contents.exitCode()).as(contents.toString()).isZero();
        final List<String> lines = contents.out().lines().toList();
        assertThat(lines).allMatch(l -> l.contains(" root/root "), "owned by root")
            .anyMatch(l -> l.startsWith("-rwxr-xr-x") && l.endsWith(" ./opt/niolb/bin/niolb"))
            .anyMatch(l -> l.startsWith("-rwxr-xr-x") && l.endsWith(" ./opt/niolb/runtime/bin/java"))
            .anyMatch(l -> l.endsWith(" ./opt/niolb/runtime/lib/modules"))
            .anyMatch(l -> l.matches(".* \\./opt/niolb/lib/lb-cli-.*\\.jar"))
            .anyMatch(l -> l.startsWith("-rw-r--r--") && l.endsWith(" ./etc/niolb/niolb.yaml"))
            .anyMatch(l -> l.startsWith("lrwxrwxrwx")
                && l.endsWith(" ./etc/niolb/niolb.schema.json -> /opt/niolb/conf/niolb.schema.json"))
            .anyMatch(l -> l.startsWith("-rw-r--r--") && l.endsWith(" ./lib/systemd/system/niolb.service"))
            .anyMatch(l -> l.startsWith("lrwxrwxrwx") && l.endsWith(" ./usr/bin/niolb -> /opt/niolb/bin/niolb"))
            .anyMatch(l -> l.endsWith(" ./usr/share/doc/niolb/copyright"))
            .anyMatch(l -> l.startsWith("-rw-r--r--") && l.endsWith(" ./usr/share/man/man1/niolb.1.gz"))
            .anyMatch(l -> l.startsWith("-rw-r--r--") && l.endsWith(" ./usr/share/man/man1/niolb-server-drain.1.gz"))
            .anyMatch(l -> l.startsWith("-rw-r--r--") && l.endsWith(" ./usr/share/man/man1/niolb-reload.1.gz"))
            .anyMatch(l -> l.startsWith("-rw-r--r--")
                && l.endsWith(" ./usr/share/bash-completion/completions/niolb"))
            .anyMatch(l -> l.startsWith("-rw-r--r--") && l.endsWith(" ./usr/share/zsh/vendor-completions/_niolb"));
        assertThat(unpacked.resolve("usr/share/bash-completion/completions/niolb"))
            .hasSameTextualContentAs(home.resolve("completion/niolb"));
        assertThat(unpacked.resolve("etc/niolb/niolb.yaml")).hasSameTextualContentAs(CheckCommandTest.EXAMPLE);
        assertThat(unpacked.resolve("lib/systemd/system/niolb.service"))
            .hasSameTextualContentAs(Path.of("src/dist/systemd/niolb.service"));
    }

    /** jdeps picked the modules: the runtime is the JDK less its tools and everything niolb does not load. */
    @Test
    void theRuntimeHoldsTheModulesNiolbUsesAndNotTheWholeJdk() throws Exception {
        final Result modules = sandboxed(unpacked, Map.of(), home.resolve("runtime/bin/java").toString(),
            "--list-modules");

        assertThat(modules.exitCode()).as(modules.toString()).isZero();
        assertThat(modules.out()).contains("java.base@25", "jdk.unsupported@", "jdk.management@", "java.naming@",
            "java.xml@").doesNotContain("jdk.compiler@", "jdk.jshell@", "java.desktop@", "jdk.jlink@");
        assertThat(home.resolve("runtime/include")).doesNotExist();
        assertThat(home.resolve("runtime/man")).doesNotExist();
    }

    @Test
    void checkRunsWithNoJavaOnThePathAndNoJavaHome() throws Exception {
        final Result check = sandboxed(unpacked, Map.of(), home.resolve("bin/niolb").toString(), "check",
            "--config", "etc/niolb/niolb.yaml");

        assertThat(check.exitCode()).as(check.toString()).isZero();
        assertThat(check.out()).startsWith("# etc/niolb/niolb.yaml is valid.");
        assertThat(check.err()).isEmpty();
    }

    /** The launcher would otherwise take JAVA_HOME (or the newest JDK under /usr/lib/jvm, as on this machine). */
    @Test
    void theRuntimeInsideWinsOverJavaHome() throws Exception {
        final Result version = sandboxed(unpacked,
            Map.of("JAVA_HOME", System.getProperty("java.home"), "JAVA_OPTS", "-XshowSettings:properties"),
            home.resolve("bin/niolb").toString(), "version");

        assertThat(version.exitCode()).as(version.toString()).isZero();
        assertThat(version.out()).startsWith("niolb " + VERSION);
        assertThat(version.err()).contains("java.home = " + home.resolve("runtime"));
    }

    @Test
    void runFromThePackageRelaysBytesOnTheRuntimeInsideAndStopsGracefullyOnSigterm(@TempDir final Path dir)
        throws Exception {
        try (EchoServer server = new EchoServer("deb")) {
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
                config.toString()).directory(dir.toFile()).redirectOutput(out.toFile()).redirectErrorStream(true);
            noJava(pb, Map.of());
            final Process niolb = pb.start();
            try {
                final Matcher listening = awaitLine(out, Pattern.compile("listening on tcp://127\\.0\\.0\\.1:(\\d+)"));
                final byte[] payload = new byte[256 * 1024];
                new Random(6).nextBytes(payload);
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), Integer.parseInt(listening.group(1)))) {
                    assertThat(RunProcessTest.readLine(client)).isEqualTo("deb");
                    final Thread writer = Thread.ofVirtual().start(() -> {
                        try {
                            client.getOutputStream().write(payload);
                            client.shutdownOutput();
                        } catch (final IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
                    final InputStream in = client.getInputStream();
                    assertThat(in.readAllBytes()).as("the payload, echoed through niolb").isEqualTo(payload);
                    writer.join();
                }
                assertThat(niolb.info().command().orElse(""))
                    .as("the JVM of the package's runtime (the launcher execs it)")
                    .isEqualTo(home.resolve("runtime/bin/java").toString());
                new ProcessBuilder("kill", "-TERM", Long.toString(niolb.pid())).start().waitFor();
                assertThat(niolb.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(niolb.exitValue()).as(Files.readString(out)).isZero();
                assertThat(Files.readString(out)).contains("stopping: 0 sessions, grace 1s (SIGTERM)");
            } finally {
                niolb.destroyForcibly();
            }
        }
    }

    @Test
    void theUnitAtTheUnpackedPathsPassesSystemdAnalyzeVerify(@TempDir final Path dir) throws Exception {
        assumeTrue(onPath("systemd-analyze"), "systemd-analyze is not installed (.ci/install-test-deps installs systemd)");
        final String unit = Files.readString(unpacked.resolve("lib/systemd/system/niolb.service"));
        assertThat(unit).contains("ExecStart=/opt/niolb/bin/niolb run --config /etc/niolb/niolb.yaml");
        final Path atUnpacked = Files.writeString(dir.resolve("niolb.service"),
            unit.replace("/opt/niolb/", home + "/").replace("/etc/niolb/", unpacked.resolve("etc/niolb") + "/"));

        final Result verify = run(dir, Map.of("SYSTEMD_LOG_COLOR", "0"), "systemd-analyze", "verify",
            atUnpacked.toString());

        assertThat(verify.exitCode()).as(verify.toString()).isZero();
        assertThat(verify.out() + verify.err()).as("warnings").isBlank();
    }

    /**
     * The maintainer scripts, run with a {@code systemctl} that only records its arguments: a first install neither
     * enables nor starts niolb, an upgrade restarts a running one, a removal stops and disables it. Without a running
     * systemd (no /run/systemd/system, as in a container or chroot) only the offline {@code disable} remains.
     */
    @Test
    void theMaintainerScriptsNeverStartNiolbOnInstallAndStopItOnRemoval(@TempDir final Path dir) throws Exception {
        final Path bin = Files.createDirectories(dir.resolve("bin"));
        final Path calls = dir.resolve("calls");
        final Path systemctl = Files.writeString(bin.resolve("systemctl"),
            "#!/bin/sh\necho \"$*\" >>" + calls + "\n");
        assertThat(systemctl.toFile().setExecutable(true)).isTrue();
        final boolean systemdRuns = Files.isDirectory(Path.of("/run/systemd/system"));

        assertThat(calls(dir, calls, "postinst", "configure")).isEqualTo(systemdRuns ? List.of("daemon-reload") : List.of());
        assertThat(calls(dir, calls, "postinst", "configure", "0.0.9"))
            .isEqualTo(systemdRuns ? List.of("daemon-reload", "try-restart niolb.service") : List.of());
        assertThat(calls(dir, calls, "prerm", "upgrade", "0.2.0")).isEmpty();
        assertThat(calls(dir, calls, "prerm", "remove"))
            .isEqualTo(systemdRuns ? List.of("stop niolb.socket niolb.service", "disable niolb.socket niolb.service")
                : List.of("disable niolb.socket niolb.service"));
        // remove, not purge: a purge deletes /var/log/niolb, of this machine here (DebianSystemdIT purges for real)
        assertThat(calls(dir, calls, "postrm", "remove")).isEqualTo(systemdRuns ? List.of("daemon-reload") : List.of());
        assertThat(calls(dir, calls, "postrm", "upgrade", "0.2.0")).isEmpty();
    }

    @Test
    void lintianFindsNoErrors() throws Exception {
        assumeTrue(onPath("lintian"), "lintian is not installed (.ci/install-test-deps installs it)");

        // lintian reads the whole package in Perl: a minute and more on a loaded 2-core machine; only a hang guard
        final Result lintian = run(unpacked, Map.of(), Duration.ofMinutes(5), "lintian", deb.toString());

        assertThat(lintian.out().lines().filter(l -> l.startsWith("E: ")).toList()).as(lintian.toString()).isEmpty();
    }

    private static List<String> calls(final Path dir, final Path calls, final String script, final String... args)
        throws Exception {
        Files.deleteIfExists(calls);
        final List<String> command = new ArrayList<>(List.of("/bin/sh", SCRIPTS.resolve(script).toString()));
        command.addAll(List.of(args));
        final ProcessBuilder pb = new ProcessBuilder(command).directory(Path.of("").toAbsolutePath().toFile());
        pb.environment().clear();
        pb.environment().put("PATH", dir.resolve("bin") + ":/usr/bin:/bin");
        final Result result = runProcess(pb);
        assertThat(result.exitCode()).as(script + " " + String.join(" ", args) + ": " + result).isZero();
        return Files.exists(calls) ? Files.readAllLines(calls) : List.of();
    }

    /** {@code command} with an environment of only {@code env} and a PATH that has bash but no java. */
    private static Result sandboxed(final Path dir, final Map<String, String> env, final String... command)
        throws Exception {
        final ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        noJava(pb, env);
        return runProcess(pb);
    }

    private static void noJava(final ProcessBuilder pb, final Map<String, String> env) {
        pb.environment().clear();
        pb.environment().put("PATH", noJavaBin.toString());
        pb.environment().putAll(env);
    }

    private static Result runProcess(final ProcessBuilder pb) throws Exception {
        final Path out = Files.createTempFile("niolb-deb", ".out");
        final Path err = Files.createTempFile("niolb-deb", ".err");
        try {
            final Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("still running after 60s: " + pb.command());
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
