package dev.niolb.cli;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HealthCheck;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.api.model.Volume;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.startupcheck.OneShotStartupCheckStrategy;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.utility.DockerImageName;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The container image of issue 16 as the repository's {@code Dockerfile} builds it, on the private Docker engine:
 * built from the {@code .deb} of {@code mvn package} on {@code lb-test/debian:base} (a debootstrap of the host's
 * own apt sources, imported by {@code .ci/debian-images}: no registry is reachable), then run. niolb in it relays
 * from a port published on 127.0.0.1 to busybox echo servers in containers of their own on the engine's bridge,
 * re-reads its mounted config on SIGHUP, and stops on {@code docker stop}.
 *
 * <p>Skips, with the reason, without an engine, its images or the .deb ({@link LocalEngine#skipReason}). Runs in
 * failsafe's integration-test phase, after the .deb is built.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ContainerImageIT {
    private static final String IMAGE = "lb-test/niolb:it";
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int ECHO_PORT = 7000;

    private final List<GenericContainer<?>> containers = new ArrayList<>();
    @TempDir
    Path conf;

    /** Why the tests skip, or null: asked once, said once (a skip in @BeforeAll would show as 0 tests run). */
    private static String skipReason;

    @BeforeAll
    static void buildTheImage() throws Exception {
        skipReason = LocalEngine.skipReason(LocalEngine.DEBIAN, LocalEngine.BUSYBOX);
        if (skipReason != null) {
            LoggerFactory.getLogger(ContainerImageIT.class).warn("skipping the container image tests: {}", skipReason);
            return;
        }
        final Path deb = LocalEngine.deb();
        // the build context as .dockerignore makes it: the Dockerfile and the .deb, nothing else
        new ImageFromDockerfile(IMAGE, false)
            .withFileFromPath("Dockerfile", Path.of("../Dockerfile"))
            .withFileFromPath("lb-cli/target/" + deb.getFileName(), deb)
            .withBuildArg("BASE", LocalEngine.DEBIAN)
            .get(5, TimeUnit.MINUTES);
    }

    @BeforeEach
    void anEngineWithTheImages() {
        assumeTrue(skipReason == null, skipReason);
    }

    @AfterEach
    void removeContainers() {
        containers.forEach(GenericContainer::stop);
    }

    @Test
    void theImageRunsNiolbAsANonRootUserOnThePackagesOwnRuntime() throws Exception {
        final GenericContainer<?> backend = echoServer("b1");
        final GenericContainer<?> niolb = niolb(config(backend), 0);

        assertThat(LocalEngine.docker().inspectImageCmd(IMAGE).exec().getConfig().getUser()).isEqualTo("10001:10001");
        assertThat(LocalEngine.sh(niolb, "grep '^Uid:' /proc/1/status"))
            .matches("Uid:\\s+10001\\s+10001\\s+10001\\s+10001\\s*");
        assertThat(LocalEngine.sh(niolb, "readlink /proc/1/exe").strip()).isEqualTo("/opt/niolb/runtime/bin/java");
        assertThat(niolb.execInContainer("sh", "-c", "command -v java").getExitCode())
            .as("no other Java in the image").isNotZero();
        assertThat(LocalEngine.sh(niolb, "tr '\\0' ' ' </proc/1/cmdline"))
            .as("the heap is a share of memory, not bin/niolb's fixed sizes")
            .contains("-XX:MaxRAMPercentage=40", "-XX:MinRAMPercentage=40")
            .doesNotContain("-Xmx", "-Xms", "MaxDirectMemorySize");
    }

    /**
     * 40 % of a small limit and of a larger one (the JVM takes MinRAMPercentage under about 250 MB, which the image
     * sets to 40 too): the heap follows the limit, and direct memory (0: the default) the heap.
     */
    @Test
    void theMaximumHeapIsFortyPercentOfTheContainersMemoryLimit() throws Exception {
        for (final long limit : new long[] {256L << 20, 1L << 30}) {
            final String flags = jvmFlagsUnder(limit);

            final long maxHeap = flag(flags, "MaxHeapSize");
            // 40 % rounded to ZGC's 2 MiB granule
            assertThat(maxHeap).as("MaxHeapSize under a %d MiB limit", limit >> 20)
                .isBetween((long) (limit * 0.4) - (2L << 20), (long) (limit * 0.4) + (2L << 20));
            assertThat(flag(flags, "MaxDirectMemorySize")).as("direct memory up to the heap's maximum").isZero();
        }
    }

    @Test
    void underALimitTooSmallForTheJvmAndTheSharesNiolbSaysSoAtStart() throws Exception {
        // 128 MiB: the kernel killed niolb under load (black-box testing, session 22), with no word before
        try (GenericContainer<?> small = new GenericContainer<>(DockerImageName.parse(IMAGE))
            .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withMemory(128L << 20))) {
            small.start();
            awaitLog(small, Pattern.compile("memory: 128 MiB \\(a container's limit\\?\\) is less than the 256 MiB"));
        }
    }

    @Test
    void itRelaysTcpFromAPublishedPortToAServerContainer() throws Exception {
        final GenericContainer<?> backend = echoServer("b1");
        final int port = LocalEngine.freePort();
        niolb(config(backend), port);

        try (Socket client = greetedBy("b1", port)) {
            LocalEngine.assertEchoes(client, 1 << 20);
        }
    }

    @Test
    void sighupReloadsTheChangedMountedConfigAndSessionsInFlightKeepTheirServer() throws Exception {
        final GenericContainer<?> b1 = echoServer("b1");
        final GenericContainer<?> b2 = echoServer("b2");
        final int port = LocalEngine.freePort();
        final GenericContainer<?> niolb = niolb(config(b1), port);

        try (Socket inFlight = greetedBy("b1", port)) {
            // replaced as a ConfigMap is: a new file renamed over the old one in the mounted directory
            final Path next = writeConfig(conf.resolve("niolb.yaml.next"), config(b2));
            Files.move(next, conf.resolve("niolb.yaml"), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
            LocalEngine.docker().killContainerCmd(niolb.getContainerId()).withSignal("HUP").exec();

            awaitLog(niolb, Pattern.compile("reload: group web: \\+server " + Pattern.quote(ip(b2) + ":" + ECHO_PORT)));
            try (Socket fresh = greetedBy("b2", port)) {
                LocalEngine.assertEchoes(fresh, 64 * 1024);
            }
            LocalEngine.assertEchoes(inFlight, 64 * 1024);
        }
    }

    /** grace 2s: niolb waits for the open session that long, then closes it and exits 0, well before docker's kill. */
    @Test
    void dockerStopEndsNiolbWithExitCode0WithinItsGraceWhileASessionIsOpen() throws Exception {
        final GenericContainer<?> backend = echoServer("b1");
        final int port = LocalEngine.freePort();
        final GenericContainer<?> niolb = niolb(config(backend), port);

        try (Socket open = greetedBy("b1", port)) {
            final long start = System.nanoTime();
            LocalEngine.docker().stopContainerCmd(niolb.getContainerId()).withTimeout(30).exec();
            final Duration took = Duration.ofNanos(System.nanoTime() - start);

            final InspectContainerResponse.ContainerState state =
                LocalEngine.docker().inspectContainerCmd(niolb.getContainerId()).exec().getState();
            assertThat(state.getExitCodeLong()).as(niolb.getLogs()).isZero();
            assertThat(took).as("grace 2s, and docker stop's 30 s not reached").isLessThan(Duration.ofSeconds(10));
            assertThat(niolb.getLogs()).contains("stopping: 1 session, grace 2s (SIGTERM)");
            open.setSoTimeout(5000);
            assertThat(readToEnd(open)).as("the session was closed by the stop").isTrue();
        }
    }

    @Test
    void theHealthCheckIsHealthyOnceTheListenerIsBoundAndTheGroupHasAServer() throws Exception {
        final GenericContainer<?> backend = echoServer("b1");
        final GenericContainer<?> niolb = niolb(config(backend), 0);
        assumeReadyEndpoint(niolb);

        assertThat(awaitHealth(niolb, "healthy")).isEqualTo("healthy");
    }

    @Test
    void theHealthCheckIsUnhealthyWhileNoServerTakesSessions() throws Exception {
        // nothing listens on the container's own loopback: the tcp check takes the one server DOWN
        final GenericContainer<?> niolb = niolb("""
            defaults:
              threads: 1
            admin:
              address: 127.0.0.1:9900
            listeners:
              - bind: 0.0.0.0:8080
            groups:
              - name: web
                servers: [127.0.0.1:7]
                checks: [tcp]
                check-interval: 200ms
                check-timeout: 200ms
                fall: 1
            """, 0);
        assumeReadyEndpoint(niolb);

        assertThat(awaitHealth(niolb, "unhealthy")).isEqualTo("unhealthy");
    }

    /** GET /ready comes with issue 17; on an admin API without it the image's health check cannot pass. */
    private static void assumeReadyEndpoint(final GenericContainer<?> niolb) throws Exception {
        final String status = bash(niolb, "exec 3<>/dev/tcp/127.0.0.1/9900 && "
            + "printf 'GET /ready HTTP/1.0\\r\\n\\r\\n' >&3 && read -r _ code _ <&3 && echo \"$code\"").strip();
        assumeTrue(!status.equals("404"), "the admin API has no GET /ready yet (issue 17): the image's health "
            + "check cannot pass on this build");
    }

    /** {@code bash -c script} as the image's user (bash for its /dev/tcp); asserts exit 0 and gives stdout. */
    private static String bash(final GenericContainer<?> container, final String script) throws Exception {
        final ExecResult r = container.execInContainer("bash", "-c", script);
        assertThat(r.getExitCode()).as(script + "\n" + r.getStdout() + r.getStderr()).isZero();
        return r.getStdout();
    }

    private String config(final GenericContainer<?> backend) {
        return """
            defaults:
              threads: 1
              grace: 2s
            admin:
              address: 127.0.0.1:9900
            listeners:
              - bind: 0.0.0.0:8080
            groups:
              - name: web
                servers: [%s:%d]
            """.formatted(ip(backend), ECHO_PORT);
    }

    /** niolb from the image with {@code config} mounted at /etc/niolb (read-only), 8080 published on 127.0.0.1. */
    private GenericContainer<?> niolb(final String config, final int hostPort) throws IOException {
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rwxr-xr-x"));
        writeConfig(conf.resolve("niolb.yaml"), config);
        final int published = hostPort == 0 ? LocalEngine.freePort() : hostPort;
        final ExposedPort listener = ExposedPort.tcp(8080);
        final GenericContainer<?> niolb = new GenericContainer<>(DockerImageName.parse(IMAGE))
            .withCreateContainerCmdModifier(cmd -> {
                cmd.withExposedPorts(listener);
                // the image's health check command, asked every half second (10 s in the image) and failures
                // counted from the first millisecond (20 s in the image; a 0 here would mean the image's) so tests
                // are quick
                cmd.withHealthcheck(new HealthCheck().withInterval(TimeUnit.MILLISECONDS.toNanos(500))
                    .withStartPeriod(TimeUnit.MILLISECONDS.toNanos(1)));
                cmd.getHostConfig()
                    .withMemory(512L << 20)
                    .withBinds(new Bind(conf.toString(), new Volume("/etc/niolb"), AccessMode.ro))
                    .withPortBindings(new PortBinding(Ports.Binding.bindIpAndPort("127.0.0.1", published), listener));
            })
            .waitingFor(Wait.forLogMessage(".*listening on tcp://0\\.0\\.0\\.0:8080.*\\n", 1)
                .withStartupTimeout(WAIT));
        containers.add(niolb);
        niolb.start();
        return niolb;
    }

    private static Path writeConfig(final Path file, final String config) throws IOException {
        Files.writeString(file, config);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        return file;
    }

    /** A busybox echo server on the engine's bridge that greets each connection with {@code name}. */
    private GenericContainer<?> echoServer(final String name) {
        final GenericContainer<?> server = new GenericContainer<>(DockerImageName.parse(LocalEngine.BUSYBOX))
            .withCommand("nc", "-ll", "-p", String.valueOf(ECHO_PORT), "-e", "/bin/sh", "-c",
                "echo " + name + "; exec cat");
        containers.add(server);
        server.start();
        return server;
    }

    private static String ip(final GenericContainer<?> container) {
        return container.getContainerInfo().getNetworkSettings().getNetworks().values().iterator().next()
            .getIpAddress();
    }

    /**
     * The JVM's final flags in a container of the image under {@code memoryLimit}: {@code niolb run --help} (a
     * proxy's options) run to its end, with the image's JAVA_OPTS and {@code -XX:+PrintFlagsFinal} from
     * JAVA_TOOL_OPTIONS (read beside them).
     */
    private static String jvmFlagsUnder(final long memoryLimit) {
        try (GenericContainer<?> once = new GenericContainer<>(DockerImageName.parse(IMAGE))
            .withCommand("run", "--help")
            .withEnv("JAVA_TOOL_OPTIONS", "-XX:+PrintFlagsFinal")
            .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withMemory(memoryLimit))
            .withStartupCheckStrategy(new OneShotStartupCheckStrategy().withTimeout(WAIT))) {
            once.start();
            return once.getLogs();
        }
    }

    private static long flag(final String flags, final String name) {
        final Matcher m = Pattern.compile("\\s" + name + "\\s+= (\\d+)\\s").matcher(flags);
        assertThat(m.find()).as(name + " in -XX:+PrintFlagsFinal").isTrue();
        return Long.parseLong(m.group(1));
    }

    /**
     * A connection through niolb that got {@code name}'s greeting. The server container is started, but its nc may
     * not listen yet when niolb first connects (the client is then closed): tried again until the greeting comes.
     */
    private static Socket greetedBy(final String name, final int port) throws Exception {
        final long deadline = System.nanoTime() + WAIT.toNanos();
        String last = null;
        while (System.nanoTime() < deadline) {
            final Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
            s.setSoTimeout(5000);
            try {
                last = RunProcessTest.readLine(s);
                if (name.equals(last)) {
                    s.setSoTimeout(0);
                    return s;
                }
            } catch (final IOException e) {
                last = e.toString();
            }
            s.close();
            Thread.sleep(50);
        }
        throw new AssertionError("no greeting from " + name + " through 127.0.0.1:" + port + " within " + WAIT
            + "; last: " + last);
    }

    /** True when the peer ended the connection (end of stream or a reset) before the socket's timeout. */
    private static boolean readToEnd(final Socket socket) {
        try {
            final InputStream in = socket.getInputStream();
            while (in.read() >= 0) {
                // the greeting's echo or nothing: read until the end
            }
            return true;
        } catch (final java.net.SocketTimeoutException e) {
            return false;
        } catch (final IOException reset) {
            return true;
        }
    }

    private static void awaitLog(final GenericContainer<?> container, final Pattern pattern) throws Exception {
        final long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (pattern.matcher(container.getLogs()).find()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no log line " + pattern + " within " + WAIT + ":\n" + container.getLogs());
    }

    /** The container's health status once it is {@code wanted} or the wait is over. */
    private static String awaitHealth(final GenericContainer<?> container, final String wanted) throws Exception {
        final long deadline = System.nanoTime() + WAIT.toNanos();
        String status = null;
        while (System.nanoTime() < deadline) {
            status = LocalEngine.docker().inspectContainerCmd(container.getContainerId()).exec().getState()
                .getHealth().getStatus();
            if (wanted.equals(status)) {
                break;
            }
            Thread.sleep(100);
        }
        return status;
    }
}
