package dev.niolb.faults;

import dev.niolb.config.TcpOptions;
import dev.niolb.session.Termination;
import dev.niolb.testing.Await;
import dev.niolb.testing.BulkEcho;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import dev.niolb.testing.FaultyServer;
import dev.niolb.testing.TcpServers;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Servers that misbehave: each test makes a server of the {@code front} listener fail in one way while a
 * healthy bulk session runs beside it on the same event loop (see {@link FaultRig}), and checks what the
 * clients of the failing server saw, that the healthy session kept its bytes and its rate, that niolb's
 * memory came back, and that the right counter moved.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@EveryTransport
class ServerFaultsTest {
    @RegisterExtension
    final EngineRig engine;
    private FaultRig rig;

    ServerFaultsTest(final TestedTransport transport) {
        engine = new EngineRig(transport);
    }

    @BeforeEach
    void setUp() throws IOException {
        rig = new FaultRig(engine);
    }

    @Test
    void aServerThatCrashesMidTransferEndsOnlyItsOwnSessionsAndNewOnesGoToTheOtherServer() throws Exception {
        final FaultyServer doomed = rig.track(new FaultyServer(FaultyServer.echo()));
        final FaultyServer steady = rig.track(new FaultyServer(FaultyServer.echo()));
        rig.start(TcpOptions.DEFAULTS, 1, doomed.address(), steady.address());
        rig.measureBaseline();
        final int clients = 8; // round robin: four on each server
        final List<Future<BulkEcho.Result>> streams = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            // paced, ~12 MB/s each: sessions in mid-transfer, not a second bulk load on the healthy one
            streams.add(BulkEcho.start(rig.pool, rig.front(), Duration.ofMillis(1500), Duration.ofMillis(5)));
        }
        Await.until(() -> doomed.open() == clients / 2 && steady.open() == clients / 2, 5000);
        final Future<BulkEcho.Result> healthy = rig.healthyStream(Duration.ofSeconds(1));
        rig.awaitHealthyStreamFlowing();
        // the doomed server's four sessions well into their 1.5 s transfers (~12 MB/s each) when it crashes
        Await.until(() -> rig.server(0).counters().bytesToServer() >= 4L << 20, 5000);
        doomed.crash();
        final List<BulkEcho.Result> cut = new ArrayList<>();
        final List<BulkEcho.Result> whole = new ArrayList<>();
        for (final Future<BulkEcho.Result> f : streams) {
            final BulkEcho.Result r = f.get(20, TimeUnit.SECONDS);
            (r.intact() ? whole : cut).add(r);
        }
        final BulkEcho.Result during = healthy.get(20, TimeUnit.SECONDS);
        final List<String> after = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            after.add(echoOnce("after " + i));
        }

        rig.assertKeptItsThroughput(during);
        assertThat(whole).as("sessions on the server that stayed up").hasSize(clients / 2);
        assertThat(cut).as("sessions on the crashed server: ended early, what came back exact").hasSize(clients / 2)
            .allSatisfy(r -> assertThat(r.prefixIntact()).as("%s", r).isTrue());
        assertThat(after).as("sessions opened after the crash").allSatisfy(a -> assertThat(a).startsWith("after "));
        assertThat(rig.server(0).counters().failedConnects()).isPositive();
        assertThat(rig.terminated(Termination.NO_SERVER)).isZero();
        Await.until(() -> rig.terminated(Termination.SERVER_CLOSE) + rig.terminated(Termination.SERVER_RESET)
            == clients / 2, 5000);
        rig.assertMemoryReturned();
    }

    @Test
    void aServerThatAcceptsAndNeverRepliesIsEndedByTheIdleTimeoutAndCounted() throws Exception {
        final FaultyServer hang = rig.track(new FaultyServer(FaultyServer.hang()));
        rig.start(TcpOptions.DEFAULTS.withIdleTimeout(Duration.ofMillis(400)), 1, hang.address());
        rig.measureBaseline();
        final int clients = 40;
        final List<Future<String>> waits = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            final boolean big = i % 2 == 0; // half send more than the socket buffers hold: niolb holds a buffer
            waits.add(rig.pool.submit(() -> {
                try (Socket s = new Socket()) {
                    s.connect(rig.front(), 2000);
                    s.setSoTimeout(10_000);
                    try {
                        TcpServers.writeAll(s.getOutputStream(), new byte[big ? 8 << 20 : 64], 64 * 1024);
                        return s.getInputStream().read() < 0 ? "closed" : "answered?";
                    } catch (final IOException e) {
                        return "closed"; // a writer blocked on the full pipe sees the close as a reset
                    }
                }
            }));
        }
        Await.until(() -> hang.accepted() == clients, 5000);
        final Future<BulkEcho.Result> healthy = rig.healthyStream(Duration.ofSeconds(1));
        rig.awaitHealthyStreamFlowing();
        final int inUse = rig.held();
        for (final Future<String> w : waits) {
            assertThat(w.get(10, TimeUnit.SECONDS)).isEqualTo("closed");
        }
        final BulkEcho.Result during = healthy.get(20, TimeUnit.SECONDS);

        rig.assertKeptItsThroughput(during);
        // each blocked upload holds one buffer (backpressure), the small requests none, the healthy session two
        assertThat(inUse).isLessThanOrEqualTo(clients / 2 + 2);
        Await.until(() -> rig.terminated(Termination.IDLE_TIMEOUT) == clients, 5000);
        rig.assertMemoryReturned();
    }

    @Test
    void aServerThatResetsAfterNBytesPassesTheResetToItsClientsAndIsCounted() throws Exception {
        final byte[] data = new byte[1 << 20];
        new Random(3).nextBytes(data);
        final int n = 256 * 1024;
        final FaultyServer resetter = rig.track(new FaultyServer(FaultyServer.resetAfter(data, n)));
        rig.start(TcpOptions.DEFAULTS, 1, resetter.address());
        rig.measureBaseline();
        final int clients = 10;
        final Future<BulkEcho.Result> healthy = rig.healthyStream(Duration.ofSeconds(1));
        final List<Future<String>> outcomes = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            outcomes.add(rig.pool.submit(() -> {
                try (Socket s = new Socket()) {
                    s.connect(rig.front(), 2000);
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write('?');
                    final InputStream in = s.getInputStream();
                    final byte[] got = new byte[data.length];
                    int total = 0;
                    try {
                        int r;
                        while ((r = in.read(got, total, got.length - total)) > 0) {
                            total += r;
                        }
                        return "end of stream after " + total;
                    } catch (final IOException e) {
                        final boolean exact = total <= n
                            && Arrays.equals(got, 0, total, data, 0, total);
                        return (exact ? "exact " : "CORRUPT ") + e.getMessage();
                    }
                }
            }));
        }
        for (final Future<String> o : outcomes) {
            assertThat(o.get(10, TimeUnit.SECONDS)).isEqualTo("exact Connection reset");
        }
        final BulkEcho.Result during = healthy.get(20, TimeUnit.SECONDS);

        rig.assertKeptItsThroughput(during);
        Await.until(() -> rig.terminated(Termination.SERVER_RESET) == clients, 5000);
        assertThat(rig.server(0).counters().bytesFromServer()).isLessThanOrEqualTo((long) clients * n);
        rig.assertMemoryReturned();
    }

    @Test
    void aServerThatIsABlackHoleForConnectsIsSkippedAfterTheConnectTimeoutUnseenByClients() throws Exception {
        final TcpServers.BlackHole hole = rig.track(new TcpServers.BlackHole());
        final FaultyServer echo = rig.track(new FaultyServer(FaultyServer.echo()));
        rig.start(TcpOptions.DEFAULTS.withConnectTimeout(Duration.ofMillis(200)), 1, hole.address(), echo.address());
        rig.measureBaseline();
        final int clients = 30;
        final Future<BulkEcho.Result> healthy = rig.healthyStream(Duration.ofSeconds(1));
        final List<Future<BulkEcho.Result>> sessions = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            sessions.add(BulkEcho.start(rig.pool, rig.front(), Duration.ofMillis(100), Duration.ofMillis(5)));
        }
        for (final Future<BulkEcho.Result> s : sessions) {
            final BulkEcho.Result r = s.get(20, TimeUnit.SECONDS);
            assertThat(r.intact()).as("a session through niolb: %s", r).isTrue();
        }
        final BulkEcho.Result during = healthy.get(20, TimeUnit.SECONDS);

        rig.assertKeptItsThroughput(during);
        assertThat(echo.accepted()).isEqualTo(clients);
        assertThat(rig.server(0).counters().failedConnects()).isPositive();
        assertThat(rig.counters().connectFailures()).isEqualTo(rig.server(0).counters().failedConnects());
        assertThat(rig.terminated(Termination.NO_SERVER)).isZero();
        Await.until(() -> rig.terminated(Termination.CLIENT_CLOSE) == clients, 5000);
        rig.assertMemoryReturned();
    }

    /** One short session: sends {@code text}, half-closes, returns what came back. */
    private String echoOnce(final String text) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(rig.front(), 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
            s.shutdownOutput();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
