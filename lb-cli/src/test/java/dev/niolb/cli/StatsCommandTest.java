package dev.niolb.cli;

import dev.niolb.LoadBalancer;
import dev.niolb.config.AdminConfig;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.backend.ServerState;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.EngineRig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code niolb stats} against a running engine's admin API, and against none. */
@Timeout(60)
class StatsCommandTest {
    @RegisterExtension
    final EngineRig rig = new EngineRig();
    private EchoServer one;
    private EchoServer two;
    private LoadBalancer lb;
    private String admin;

    @BeforeEach
    void start() throws Exception {
        one = rig.track(new EchoServer("web-1"));
        two = rig.track(new EchoServer("web-2"));
        lb = rig.start(Config.single(1, Duration.ofSeconds(1),
                new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "web", TcpOptions.DEFAULTS),
                new TargetGroupConfig("web", Algorithm.ROUNDROBIN, List.of(new ServerConfig("web-1", one.address(), 1),
                    new ServerConfig("web-2", two.address(), 2))))
            .withAdmin(AdminConfig.on(new InetSocketAddress("127.0.0.1", 0))));
        admin = "127.0.0.1:" + lb.adminAddress().getPort();
        for (int i = 0; i < 4; i++) {
            try (Socket s = new Socket()) {
                s.connect(lb.localAddress("front"));
                RunProcessTest.readLine(s);
            }
        }
        lb.group("web").snapshot().server("web-2").operatorMode(ServerState.DRAIN, "test");
    }

    @Test
    void statsPrintsTheListenersAndEachServerWithItsState() {
        final Cli result = Cli.run("stats", "--admin", admin);

        assertThat(result.exitCode()).isZero();
        assertThat(result.err()).isEmpty();
        final List<String> lines = result.out().lines().toList();
        assertThat(lines.getFirst()).startsWith("niolb  uptime ").contains("sessions 0", "loops 1");
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("LISTENER  PROTO  ADDRESS"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("front     tcp    127.0.0.1:")
            .matches(".* web +0 +4 +0 B +\\d+ B .*"));
        assertThat(lines).contains("GROUP web  1/2 up  balance roundrobin");
        assertThat(lines).anySatisfy(l -> assertThat(l).matches("web-1 +127\\.0\\.0\\.1:\\d+ +UP +1 +0 +2 +0 .*"));
        assertThat(lines).anySatisfy(l -> assertThat(l).matches("web-2 +127\\.0\\.0\\.1:\\d+ +DRAIN +2 \\(0\\) +0 +2 +0 .*"));
    }

    @Test
    void theWildcardAddressNiolbListensOnIsAskedOnLoopbackAsTheConfigFilesIs() {
        final Cli result = Cli.run("stats", "--json", "--admin", "0.0.0.0:" + lb.adminAddress().getPort());

        assertThat(result.err()).isEmpty();
        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).contains("\"listeners\"");
    }

    @Test
    void statsJsonPrintsTheAdminApisDocumentAsOneParsableLine() {
        final Cli result = Cli.run("stats", "--json", "--admin", admin);

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out().lines().toList()).hasSize(1);
        final java.util.Map<String, Object> stats = dev.niolb.json.JsonReader.parseObject(result.out());
        assertThat(stats).containsKeys("uptime_ms", "listeners", "groups");
        assertThat(result.out()).contains("\"name\":\"web-1\"", "\"state\":\"drain\"");
    }

    @Test
    void anAdminApiThatCannotBeReachedIsOneLineAndExitCode1() throws Exception {
        final int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        final Cli result = Cli.run("stats", "--admin", "127.0.0.1:" + port);

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.out()).isEmpty();
        assertThat(result.errLines()).containsExactly("niolb: cannot reach the admin API at 127.0.0.1:" + port
            + ": connection refused (is niolb running with --admin 127.0.0.1:" + port + "?)");
    }

    @Test
    void aPeerThatClosesInTheMiddleOfItsHeadersOrOfAChunkIsSaidSoToo() throws Exception {
        for (final String cut : List.of("HTTP/1.1 200 OK\r\nContent-Ty",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"a\"")) {
            final int[] port = new int[1];
            final Cli result = statsFromClosingPeer(cut, port);

            assertThat(result.errLines()).as(cut).containsExactly("niolb: the admin API at 127.0.0.1:" + port[0]
                + " closed the connection before its answer was whole");
        }
    }

    @Test
    void aPeerThatIsNoHttpServerIsQuotedAsItAnsweredNotLowerCased() throws Exception {
        try (EchoServer echo = new EchoServer()) { // sends the request back: "GET /api/stats HTTP/1.1" …
            final Cli result = Cli.run("stats", "--admin", "127.0.0.1:" + echo.address().getPort());

            assertThat(result.exitCode()).isEqualTo(1);
            assertThat(result.errLines()).singleElement().asString()
                .contains("gave no answer this command can read").contains("GET /api/stats HTTP/1.1");
        }
    }

    @Test
    void statsReadsNoTokenFileSinceReadingNeedsNone() throws Exception {
        final int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        final Cli result = Cli.run("stats", "--admin", "127.0.0.1:" + port, "--admin-token-file", "/nonexistent/token");

        assertThat(result.errLines()).as("the token file was not the trouble").singleElement().asString()
            .startsWith("niolb: cannot reach the admin API at 127.0.0.1:" + port + ": connection refused");
    }

    /** Runs {@code niolb stats} against a peer that answers {@code answer} to one request and then waits. */
    private static Cli statsFromPeer(final String answer, final int[] port, final String... more) throws Exception {
        try (ServerSocket peer = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port[0] = peer.getLocalPort();
            final Thread answering = Thread.ofPlatform().daemon().start(() -> {
                try (Socket s = peer.accept()) {
                    s.getInputStream().read(new byte[4096]);
                    s.getOutputStream().write(answer.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                    s.getInputStream().read(); // until the client is done with it
                } catch (final java.io.IOException e) {
                    // the client went away: done
                }
            });
            final List<String> args = new ArrayList<>(List.of("stats", "--admin", "127.0.0.1:" + port[0]));
            args.addAll(List.of(more));
            final Cli result = Cli.run(args.toArray(String[]::new));
            answering.join(5000);
            return result;
        }
    }

    /** Runs {@code niolb stats} against a peer that answers {@code answer} (perhaps nothing) and closes. */
    private static Cli statsFromClosingPeer(final String answer, final int[] port) throws Exception {
        try (ServerSocket peer = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port[0] = peer.getLocalPort();
            final Thread answering = Thread.ofPlatform().daemon().start(() -> {
                for (int i = 0; i < 2; i++) { // the JDK's client tries a GET again once on a connection closed early
                    try (Socket s = peer.accept()) {
                        s.getInputStream().read(new byte[4096]);
                        s.getOutputStream().write(answer.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    } catch (final java.io.IOException e) {
                        return; // closed: the client is done
                    }
                }
            });
            final Cli result = Cli.run("stats", "--admin", "127.0.0.1:" + port[0], "--timeout", "5s");
            peer.close(); // a retry that did not come: the thread's accept ends
            answering.join(5000);
            return result;
        }
    }

    @Test
    void aPeerThatStreamsAnAnswerLargerThanAnyAdminAnswerIsGivenUpPast64MiB() throws Exception {
        try (ServerSocket peer = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            final Thread streaming = Thread.ofPlatform().daemon().start(() -> {
                try (Socket s = peer.accept()) {
                    s.getInputStream().read(new byte[4096]);
                    s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n{\"a\":\""
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    final byte[] text = new byte[1 << 20];
                    java.util.Arrays.fill(text, (byte) 'x');
                    for (int i = 0; i < 1000; i++) {
                        s.getOutputStream().write(text);
                    }
                } catch (final java.io.IOException e) {
                    // the client gave up: what the test wants
                }
            });
            final Cli result = Cli.run("stats", "--admin", "127.0.0.1:" + peer.getLocalPort(), "--timeout", "20s");
            streaming.join(5000);

            assertThat(result.exitCode()).isEqualTo(1);
            assertThat(result.errLines()).containsExactly("niolb: the admin API at 127.0.0.1:" + peer.getLocalPort()
                + " gave no answer this command can read: an answer larger than 64 MiB");
        }
    }

    @Test
    void aPeerThatStallsInTheMiddleOfItsAnswerIsOneLineAndExitCode1AtTheTimeoutGiven() throws Exception {
        final int[] port = new int[1];
        final long start = System.nanoTime();
        final Cli result = statsFromPeer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{", port, "--timeout", "1s");
        final Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(took).isGreaterThanOrEqualTo(Duration.ofSeconds(1))
            .isLessThan(AdminClient.DEFAULT_TIMEOUT); // the flag, not the default of 10 s, ended the wait
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.errLines()).containsExactly("niolb: no whole answer from the admin API at 127.0.0.1:"
            + port[0] + " within 1s (--timeout)");
    }

    @Test
    void aPeerThatClosesWithoutAnAnswerIsSaidSoNotThatItCannotBeReached() throws Exception {
        final int[] port = new int[1];
        final Cli result = statsFromClosingPeer("", port); // reads the request, closes

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.errLines()).containsExactly("niolb: the admin API at 127.0.0.1:" + port[0]
            + " closed the connection without an answer (at its limit of connections, or stopping: try again)");
    }

    @Test
    void aPeerThatClosesInTheMiddleOfItsAnswerIsSaidSo() throws Exception {
        final int[] port = new int[1];
        final Cli result = statsFromClosingPeer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{", port);

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.errLines()).containsExactly("niolb: the admin API at 127.0.0.1:" + port[0]
            + " closed the connection before its answer was whole");
    }

    @Test
    void jsonThatIsNotStatsIsRefusedNotShownAsEmptyTables() throws Exception {
        final int[] port = new int[1];
        final Cli result = statsFromPeer("HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\n"
            + "{\"foo\":1}", port);

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.out()).isEmpty();
        assertThat(result.errLines()).containsExactly("niolb: the admin API at 127.0.0.1:" + port[0] + " did not "
            + "answer with stats: no listeners and groups in its JSON (is --admin the address of niolb's admin API?)");
    }

    @Test
    void watchRedrawsUntilInterrupted() throws Exception {
        try (NiolbProcess stats = NiolbProcess.start("stats", "--admin", admin, "--watch", "200ms")) {
            stats.awaitOut("GROUP web", Duration.ofSeconds(20));
            final long start = System.nanoTime();
            while (stats.out().stream().filter(l -> l.contains("niolb  uptime")).count() < 3) {
                assertThat(System.nanoTime() - start).as("three redraws").isLessThan(Duration.ofSeconds(20).toNanos());
                Thread.sleep(50);
            }
            assertThat(stats.out()).as("to a pipe: samples one after another, no terminal codes")
                .noneSatisfy(l -> assertThat(l).contains("\033[")).contains("");
            stats.signal("INT");
            assertThat(stats.awaitExit(Duration.ofSeconds(10))).isNotZero(); // ended by the signal
        }
    }

    @Test
    void watchEndsOnceNobodyReadsItsOutput() throws Exception {
        try (NiolbProcess stats = NiolbProcess.start("stats", "--admin", admin, "--watch", "100ms", "--json")) {
            stats.awaitOut("\"listeners\"", Duration.ofSeconds(20));
            stats.closeStdout(); // as | head -1 does once it has its line
            assertThat(stats.awaitExit(Duration.ofSeconds(10))).as("its next sample meets a closed pipe").isZero();
        }
    }
}
