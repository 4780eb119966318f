package dev.niolb.cli;

import dev.niolb.testing.EchoServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code niolb run} and {@code niolb demo} with the admin API and the access log, as child processes. */
@Timeout(90)
class RunAdminProcessTest {
    private static final Duration START = Duration.ofSeconds(20);

    private static String get(final String url) throws Exception {
        final HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    @Test
    void runServesTheAdminApiAndWritesAnAccessLineOnStdoutPerSession() throws Exception {
        try (EchoServer echo = new EchoServer("hi");
             NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--threads", "1",
                 "--server", RunProcessTest.hostPort(echo) + ",name=web-1", "--admin", "127.0.0.1:0",
                 "--access-log", "plain")) {
            final int admin = Integer.parseInt(niolb.awaitOut("admin API and stats page on http://127\\.0\\.0\\.1:(\\d+)/",
                START).group(1));
            final int port = niolb.awaitListeningPort();
            final int clientPort;
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
                clientPort = client.getLocalPort();
                assertThat(RunProcessTest.readLine(client)).isEqualTo("hi");
            }
            // client [time] proto listener group/server connect/duration in out retries termination; the listener
            // is named as configured (port 0), its bound port is in the start-up line
            niolb.awaitOut("^127\\.0\\.0\\.1:" + clientPort + " \\[\\S+Z] tcp tcp://127\\.0\\.0\\.1:0"
                + " default/web-1 [\\d.]+/[\\d.]+ 0 3 0 client_close$", START);
            assertThat(get("http://127.0.0.1:" + admin + "/api/stats")).contains("\"name\":\"web-1\"");
            assertThat(get("http://127.0.0.1:" + admin + "/metrics"))
                .contains("niolb_listener_accepted_total{listener=\"tcp://127.0.0.1:0\",protocol=\"tcp\"} 1");
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(START)).isZero();
        }
    }

    @Test
    void runServesMetricsAndReadinessOnTheMetricsAddressWithTheAdminApiOffAndRefusesWritesThere() throws Exception {
        try (EchoServer echo = new EchoServer("hi");
             NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--threads", "1",
                 "--server", RunProcessTest.hostPort(echo) + ",name=web-1", "--admin", "none",
                 "--metrics-address", "127.0.0.1:0")) {
            final int metrics = Integer.parseInt(niolb.awaitOut(
                "metrics and readiness on http://127\\.0\\.0\\.1:(\\d+)/metrics and /ready \\(read-only\\)", START)
                .group(1));
            final int port = niolb.awaitListeningPort();
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
                assertThat(RunProcessTest.readLine(client)).isEqualTo("hi");
            }
            final String base = "http://127.0.0.1:" + metrics;
            assertThat(get(base + "/metrics")).contains("niolb_server_state{group=\"default\",server=\"web-1\",state=\"up\"} 1");
            assertThat(get(base + "/ready")).contains("\"ready\":true");
            final HttpResponse<String> drain = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(base + "/api/groups/default/servers/web-1"))
                    .POST(HttpRequest.BodyPublishers.ofString("state=drain"))
                    .header("Content-Type", "application/x-www-form-urlencoded").build(),
                HttpResponse.BodyHandlers.ofString());
            assertThat(drain.statusCode()).isEqualTo(405);
            assertThat(niolb.out()).noneMatch(line -> line.contains("admin API and stats page"));
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(START)).isZero();
        }
    }

    @Test
    void aMissingAdminTokenFileIsOneLineAndExitCode78WhichSystemdDoesNotRestartInto(@TempDir final Path dir)
        throws Exception {
        final Path missing = dir.resolve("token");
        try (NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--server", "127.0.0.1:9",
            "--admin", "127.0.0.1:0", "--admin-token-file", missing.toString())) {
            assertThat(niolb.awaitExit(START)).as("EX_CONFIG: no restart brings the file").isEqualTo(78);
            assertThat(niolb.err()).containsExactly(
                "niolb: cannot start: cannot read admin token file " + missing + ": no such file");
        }
    }

    @Test
    void anAdminAddressInUseIsOneLineAndExitCode1() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--server", "127.0.0.1:9",
                 "--admin", "127.0.0.1:" + taken.getLocalPort())) {
            assertThat(niolb.awaitExit(START)).isEqualTo(1);
            assertThat(niolb.err()).containsExactly(
                "niolb: cannot listen on admin address 127.0.0.1:" + taken.getLocalPort() + ": address already in use");
        }
    }

    @Test
    void aStopWhileTheTokenPipeWaitsForItsWriterEndsNiolbAtOnceBeforeItBindsAnything(
        @org.junit.jupiter.api.io.TempDir final java.nio.file.Path dir) throws Exception {
        final java.nio.file.Path fifo = dir.resolve("token");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        try (NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--server", "127.0.0.1:9",
            "--admin", "127.0.0.1:0", "--admin-token-file", fifo.toString())) {
            niolb.awaitOut("admin token file .* is a pipe: reading it", START); // and nothing writes to it

            niolb.signal("TERM");

            assertThat(niolb.awaitExit(Duration.ofSeconds(5))).as("not the pipe's 10 s, nor exit 78").isZero();
            assertThat(niolb.out()).anyMatch(l -> l.contains("stopped while starting (SIGTERM)"))
                .noneMatch(l -> l.contains("listening on"));
        }
    }

    @Test
    void aMetricsAddressOneOfItsOwnListenersBindsIsAUsageErrorFromFlagsNamingTheListener() throws Exception {
        final int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort(); // nothing binds it: the clash is the config's own
        }
        try (NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:" + port, "--server", "127.0.0.1:9",
            "--admin", "none", "--metrics-address", "127.0.0.1:" + port)) {
            // two flags that clash: a usage error, as --metrics-address equal to --admin is (a file's is 78)
            assertThat(niolb.awaitExit(START)).isEqualTo(2);
            assertThat(niolb.err()).startsWith("niolb: cannot listen on metrics address 127.0.0.1:" + port
                + ": listener tcp://127.0.0.1:" + port + " binds it");
        }
    }

    @Test
    void demoPrintsItsStatsPageAddress() throws Exception {
        try (NiolbProcess demo = NiolbProcess.start("demo", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0")) {
            final String page = demo.awaitOut("Stats page: (http://127\\.0\\.0\\.1:\\d+/)", START).group(1);
            assertThat(get(page)).contains("<title>niolb stats</title>");
            assertThat(get(page + "api/stats")).contains("\"name\":\"backend-1\"", "\"name\":\"backend-3\"");
            demo.signal("INT");
            assertThat(demo.awaitExit(START)).isZero();
        }
    }

    @Test
    void withAShutdownDelaySigtermFirstWithdrawsReadinessWhileNewClientsAreStillServedThenStops() throws Exception {
        try (EchoServer echo = new EchoServer("hi");
             NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--threads", "1",
                 "--server", RunProcessTest.hostPort(echo), "--admin", "127.0.0.1:0", "--shutdown-delay", "3s")) {
            final int admin = Integer.parseInt(niolb.awaitOut("admin API and stats page on http://127\\.0\\.0\\.1:(\\d+)/",
                START).group(1));
            final int port = niolb.awaitListeningPort();
            final HttpClient http = HttpClient.newHttpClient();
            final URI ready = URI.create("http://127.0.0.1:" + admin + "/ready");
            assertThat(http.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode()).isEqualTo(200);

            niolb.signal("TERM");
            niolb.awaitOut("shutting down in 3s \\(SIGTERM\\): GET /ready says 503, the listeners still accept", START);
            final long withdrawnAt = System.nanoTime();
            final HttpResponse<String> during = http.send(HttpRequest.newBuilder(ready).build(),
                HttpResponse.BodyHandlers.ofString());
            assertThat(during.statusCode()).as(during.body()).isEqualTo(503);
            assertThat(during.body()).contains("shutting down");
            try (Socket late = new Socket(InetAddress.getLoopbackAddress(), port)) { // still accepted and served
                assertThat(RunProcessTest.readLine(late)).isEqualTo("hi");
            }

            assertThat(niolb.awaitExit(START)).isZero();
            // the delay is the feature: not over before its 3 s (a lower bound, whatever the machine's load)
            assertThat(Duration.ofNanos(System.nanoTime() - withdrawnAt)).isGreaterThanOrEqualTo(Duration.ofMillis(2900));
            niolb.awaitOut("stopping: 0 sessions, grace 30s \\(SIGTERM\\)", START);
        }
    }
}
