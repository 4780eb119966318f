package dev.niolb.health;

import dev.niolb.config.Algorithm;
import dev.niolb.config.CheckSpec;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.backend.ServerState;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import dev.niolb.testing.TcpServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The http check end to end against a scripted server that hangs, then answers. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@EveryTransport
class HttpCheckTest {
    @RegisterExtension
    final EngineRig engine;
    private final Rig rig;

    HttpCheckTest(final TestedTransport transport) {
        engine = new EngineRig(transport);
        rig = new Rig(engine);
    }

    /** An HTTP server on the check port: counts requests; answers 200 when told to, else never answers. */
    private static TcpServers.Scripted statusPage(final AtomicBoolean answer, final AtomicInteger requests,
                                                  final List<String> requestLines) throws IOException {
        return new TcpServers.Scripted(s -> {
            try {
                final BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                    StandardCharsets.ISO_8859_1));
                final String requestLine = in.readLine();
                String header;
                while ((header = in.readLine()) != null && !header.isEmpty()) {
                    requestLines.add(header);
                }
                requestLines.add(requestLine);
                requests.incrementAndGet();
                if (answer.get()) {
                    s.getOutputStream().write("HTTP/1.1 204 No Content\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    s.getOutputStream().flush();
                }
                TcpServers.readUntilPeerEnds(s.getInputStream()); // hang until niolb gives up and resets
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @Test
    void aServerThatNeverAnswersTheHttpCheckGoesDownAfterFallAndComesBackUpAfterRise() throws Exception {
        final AtomicBoolean answer = new AtomicBoolean(false);
        final AtomicInteger requests = new AtomicInteger();
        final List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        final TcpServers.Scripted page = rig.track(statusPage(answer, requests, lines));
        final TcpServers.Scripted healthyPage = rig.track(statusPage(new AtomicBoolean(true), new AtomicInteger(),
            new java.util.concurrent.CopyOnWriteArrayList<>()));
        rig.backend("web");
        rig.backend("other");
        final HealthCheckConfig health = HealthCheckConfig.DEFAULTS
            .withChecks(List.of(CheckSpec.parse("http:/status")))
            .withInterval(Duration.ofMillis(50)).withTimeout(Duration.ofMillis(150)).withRise(2).withFall(3);
        rig.start(Algorithm.ROUNDROBIN, 1, health, rig.config("web", false, page.address().getPort()),
            rig.config("other", false, healthyPage.address().getPort()));

        Rig.await("web DOWN", () -> rig.server("web").state() == ServerState.DOWN, 5000);
        final int failedChecks = requests.get();
        assertThat(failedChecks).as("checks that had hung when it went DOWN").isBetween(3, 4);
        assertThat(lines).contains("GET /status HTTP/1.1", "Host: 127.0.0.1:" + page.address().getPort(),
            "Connection: close");
        assertThat(rig.spread(10)).containsOnlyKeys("other");

        answer.set(true);
        final int before = requests.get();
        Rig.await("web UP", () -> rig.server("web").state() == ServerState.UP, 5000);
        assertThat(requests.get() - before).as("checks since it started answering").isGreaterThanOrEqualTo(2);
        assertThat(rig.spread(10)).containsEntry("web", 5).containsEntry("other", 5);
    }

    /**
     * Starts niolb with one server, "web", checked with {@code http:/} every 30 ms (fall 2) against a page that reads
     * the request and answers with {@code parts}, each written and flushed apart.
     */
    private void startWithPageAnswering(final String... parts) throws Exception {
        final TcpServers.Scripted page = rig.track(new TcpServers.Scripted(s -> {
            try {
                s.getInputStream().read(new byte[1024]);
                for (final String part : parts) {
                    s.getOutputStream().write(part.getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                }
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }));
        rig.backend("web");
        rig.start(Algorithm.ROUNDROBIN, 1, HealthCheckConfig.DEFAULTS
                .withChecks(List.of(CheckSpec.parse("http:/")))
                .withInterval(Duration.ofMillis(30)).withFall(2),
            rig.config("web", false, page.address().getPort()));
    }

    @Test
    void aStatusOutsideTheExpectedRangeFailsTheCheck() throws Exception {
        startWithPageAnswering("HTTP/1.0 503 Service Unavailable\r\n\r\n");
        Rig.await("web DOWN", () -> rig.server("web").state() == ServerState.DOWN, 5000);
        try (Socket s = rig.connect()) {
            assertThat(s.getInputStream().read()).as("no server: the client is closed").isEqualTo(-1);
        }
    }

    @Test
    void aServerThatSendsContinueBeforeItsStatusPassesTheHttpCheck() throws Exception {
        startWithPageAnswering("HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\n");

        Rig.await("three checks judged", () -> rig.server("web").healthCounters().checksPassed()
            + rig.server("web").healthCounters().checksFailed() >= 3, 5000);
        assertThat(rig.server("web").healthCounters().checksFailed()).isZero();
        assertThat(rig.server("web").state()).isEqualTo(ServerState.UP);
    }
}
