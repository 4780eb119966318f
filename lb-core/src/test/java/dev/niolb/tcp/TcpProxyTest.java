package dev.niolb.tcp;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.session.SessionInfo;
import dev.niolb.session.Termination;
import dev.niolb.backend.Server;
import dev.niolb.testing.Await;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import dev.niolb.testing.TcpServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The TCP engine end to end: real sockets on loopback, real echo servers, {@link LoadBalancer} in between. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@EveryTransport
class TcpProxyTest {
    @RegisterExtension
    final EngineRig rig;
    private LoadBalancer lb;

    TcpProxyTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    private LoadBalancer start(final TcpOptions options, final int threads, final InetSocketAddress... servers)
        throws IOException {
        final List<ServerConfig> configs = new ArrayList<>();
        for (int i = 0; i < servers.length; i++) {
            configs.add(new ServerConfig("s" + i, servers[i], 1));
        }
        final Config config = Config.single(threads, Duration.ofSeconds(5),
            new ListenerConfig("front", dev.niolb.config.Protocol.TCP, new InetSocketAddress("127.0.0.1", 0),
                "g", options),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, configs));
        lb = rig.start(config);
        return lb;
    }

    private LoadBalancer start(final InetSocketAddress... servers) throws IOException {
        return start(TcpOptions.DEFAULTS, 2, servers);
    }

    private Socket connect() throws IOException {
        final Socket s = new Socket();
        s.connect(lb.localAddress("front"), 2000);
        s.setSoTimeout(10_000);
        return s;
    }

    private static byte[] echoOnce(final Socket s, final byte[] data) throws IOException {
        s.getOutputStream().write(data);
        s.getOutputStream().flush();
        return s.getInputStream().readNBytes(data.length);
    }

    @Test
    void twoHundredConcurrentClientsEachRelayOneMebibyteBothWaysIntact() throws Exception {
        final EchoServer a = rig.track(new EchoServer());
        final EchoServer b = rig.track(new EchoServer());
        final EchoServer c = rig.track(new EchoServer());
        start(a.address(), b.address(), c.address());
        final int clients = 200;
        final int size = 1 << 20;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            final List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                final long seed = i;
                results.add(pool.submit(() -> {
                    final byte[] sent = new byte[size];
                    new Random(seed).nextBytes(sent);
                    try (Socket s = connect()) {
                        // write and read at once: a client that wrote 1 MiB before reading would deadlock on
                        // full socket buffers, proxy or not
                        final Future<?> writer = pool.submit(() -> {
                            TcpServers.writeAll(s.getOutputStream(), sent, 16 * 1024);
                            s.shutdownOutput();
                            return null;
                        });
                        final byte[] received = TcpServers.readAll(s.getInputStream(), size + 1);
                        writer.get();
                        return MessageDigest.isEqual(sha256(sent), sha256(received));
                    }
                }));
            }
            for (final Future<Boolean> r : results) {
                assertThat(r.get(45, TimeUnit.SECONDS)).isTrue();
            }
        }
        assertThat(a.accepted() + b.accepted() + c.accepted()).isEqualTo(clients);
        assertThat(a.accepted()).isBetween(60, 75); // round robin per loop: each server about a third
        final Server[] servers = lb.group("g").snapshot().servers();
        long toServers = 0;
        long fromServers = 0;
        for (final Server s : servers) {
            toServers += s.counters().bytesToServer();
            fromServers += s.counters().bytesFromServer();
        }
        assertThat(toServers).isEqualTo((long) clients * size);
        assertThat(fromServers).isEqualTo((long) clients * size);
        Await.until(() -> lb.activeSessions() == 0, 5000);
        assertThat(lb.listener("front").counters().terminated(Termination.CLIENT_CLOSE)).isEqualTo(clients);
        assertThat(lb.buffersInUse()).isZero();
        assertThat(lb.pipesInUse()).isZero();
        if (rig.transport().equals(dev.niolb.testing.TestedTransport.EPOLL_SPLICE)) {
            // pipes given back are kept for the next splice, within the pool's bound, and counted
            assertThat(lb.pipesIdle()).isBetween(1, 64 * 2);
        } else {
            assertThat(lb.pipesIdle()).isZero();
        }
    }

    @Test
    void halfCloseLetsTheServerAnswerAfterTheClientFinishedSending() throws Exception {
        final TcpServers.Scripted server = rig.track(new TcpServers.Scripted(s -> {
            try {
                final byte[] request = s.getInputStream().readAllBytes(); // until the client's FIN
                s.getOutputStream().write(("got " + request.length + " bytes").getBytes(StandardCharsets.UTF_8));
                s.shutdownOutput();
            } catch (final IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }));
        start(server.address());
        try (Socket s = connect()) {
            s.getOutputStream().write(new byte[12345]);
            s.shutdownOutput();
            final String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).isEqualTo("got 12345 bytes");
        }
        Await.until(() -> lb.activeSessions() == 0, 5000);
        assertThat(lb.listener("front").counters().terminated(Termination.CLIENT_CLOSE)).isEqualTo(1);
    }

    @Test
    void whenTheServerHalfClosesFirstTheClientCanStillSend() throws Exception {
        final TcpServers.Scripted server = rig.track(new TcpServers.Scripted(s -> {
            try {
                s.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
                s.shutdownOutput(); // server is done talking but still listens
                final byte[] rest = s.getInputStream().readAllBytes();
                if (rest.length != 5000) {
                    throw new IllegalStateException("server got " + rest.length);
                }
            } catch (final IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }));
        start(server.address());
        try (Socket s = connect()) {
            assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello\n");
            s.getOutputStream().write(new byte[5000]);
            s.shutdownOutput();
        }
        Await.until(() -> lb.activeSessions() == 0, 5000);
        assertThat(lb.listener("front").counters().terminated(Termination.SERVER_CLOSE)).isEqualTo(1);
        assertThat(lb.group("g").snapshot().servers()[0].counters().bytesToServer()).isEqualTo(5000);
    }

    @Test
    void aRefusingServerIsSkippedWithZeroClientVisibleFailures() throws Exception {
        final EchoServer a = rig.track(new EchoServer());
        final EchoServer b = rig.track(new EchoServer());
        start(TcpServers.refusingAddress(), a.address(), b.address());
        for (int i = 0; i < 60; i++) {
            try (Socket s = connect()) {
                assertThat(echoOnce(s, ("ping " + i).getBytes(StandardCharsets.UTF_8)))
                    .isEqualTo(("ping " + i).getBytes(StandardCharsets.UTF_8));
            }
        }
        assertThat(a.accepted() + b.accepted()).isEqualTo(60);
        assertThat(lb.group("g").snapshot().servers()[0].counters().failedConnects()).isPositive();
        assertThat(lb.listener("front").counters().terminated(Termination.NO_SERVER)).isZero();
    }

    @Test
    void aServerThatNeverCompletesTheHandshakeIsSkippedAfterTheConnectTimeout() throws Exception {
        final TcpServers.BlackHole hole = rig.track(new TcpServers.BlackHole());
        final EchoServer echo = rig.track(new EchoServer());
        start(TcpOptions.DEFAULTS.withConnectTimeout(Duration.ofMillis(200)), 1, hole.address(), echo.address());
        for (int i = 0; i < 6; i++) {
            try (Socket s = connect()) {
                assertThat(echoOnce(s, new byte[]{1, 2, 3})).containsExactly(1, 2, 3);
            }
        }
        assertThat(echo.accepted()).isEqualTo(6);
        final Server blackHole = lb.group("g").snapshot().servers()[0];
        assertThat(blackHole.counters().failedConnects()).isGreaterThanOrEqualTo(3);
        assertThat(lb.listener("front").counters().terminated(Termination.NO_SERVER)).isZero();
    }

    @Test
    void aConnectionAfterTheLoopSatIdleLongerThanTheConnectTimeoutIsNotTimedOut() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(TcpOptions.DEFAULTS.withConnectTimeout(Duration.ofMillis(200)), 1, echo.address());
        Thread.sleep(700); // no timers pending: the loop blocks in select with a clock that does not move
        try (Socket s = connect()) {
            assertThat(echoOnce(s, new byte[]{5, 6})).containsExactly(5, 6);
        }
        assertThat(lb.group("g").snapshot().servers()[0].counters().failedConnects()).isZero();
    }

    @Test
    void whenEveryServerIsDownTheClientIsClosedPromptlyAndCounted() throws Exception {
        start(TcpServers.refusingAddress(), TcpServers.refusingAddress());
        final long started = System.nanoTime();
        try (Socket s = connect()) {
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isLessThan(2000);
        Await.until(() -> lb.listener("front").counters().terminated(Termination.CONNECT_FAILURE) == 1, 2000);
        assertThat(lb.listener("front").counters().terminated(Termination.NO_SERVER)).as("servers were tried").isZero();
        // retries 2: three tries, spread over both servers
        assertThat(lb.listener("front").counters().connectFailures()).isEqualTo(2);
    }

    @Test
    void aFailedConnectWithNoOtherServerToTrySaysItGivesUpNotThatItTriesAnother() throws Exception {
        try (dev.niolb.testing.LogCapture logs = dev.niolb.testing.LogCapture.of(TcpListener.class.getName())) {
            start(TcpServers.refusingAddress()); // retries left, but no other server
            try (Socket s = connect()) {
                assertThat(s.getInputStream().read()).isEqualTo(-1);
            }
            Await.until(() -> lb.listener("front").counters().terminated(Termination.CONNECT_FAILURE) == 1, 2000);
            assertThat(logs.messages()).filteredOn(m -> m.contains("connect to server")).singleElement()
                .satisfies(m -> assertThat(m).endsWith("; giving up on this client"));
        }
    }

    @Test
    void retriesAreBoundedByTheRetriesOption() throws Exception {
        start(TcpOptions.DEFAULTS.withRetries(4), 1, TcpServers.refusingAddress(), TcpServers.refusingAddress(),
            TcpServers.refusingAddress(), TcpServers.refusingAddress(), TcpServers.refusingAddress(),
            TcpServers.refusingAddress(), TcpServers.refusingAddress());
        try (Socket s = connect()) {
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        Await.until(() -> lb.listener("front").counters().terminated(Termination.CONNECT_FAILURE) == 1, 2000);
        assertThat(lb.listener("front").counters().connectFailures()).isEqualTo(5);
    }

    @Test
    void aClientThatNeverReadsKeepsTheSessionsMemoryBounded() throws Exception {
        final TcpServers.Scripted firehose = rig.track(new TcpServers.Scripted(s -> {
            final byte[] chunk = new byte[64 * 1024];
            try {
                final OutputStream out = s.getOutputStream();
                for (int i = 0; i < 16 * 1024; i++) { // up to 1 GiB, far more than any socket buffers hold
                    out.write(chunk);
                }
            } catch (final IOException e) {
                // closed by the proxy at the end of the test
            }
        }));
        start(TcpOptions.DEFAULTS, 1, firehose.address());
        try (Socket s = connect()) {
            s.setReceiveBufferSize(64 * 1024);
            final Server server = lb.group("g").snapshot().servers()[0];
            Await.until(() -> server.counters().bytesFromServer() > 0, 5000);
            // relayed bytes stop growing once the client's socket buffers are full: backpressure, not buffering
            long previous;
            long now = server.counters().bytesFromServer();
            do {
                previous = now;
                Thread.sleep(300); // a poll: "stopped" is a counter that did not move for this long
                now = server.counters().bytesFromServer();
            } while (now != previous);
            assertThat(now).isLessThan(64L * 1024 * 1024);
            assertThat(lb.buffersInUse() + lb.pipesInUse()).as("one buffer or pipe").isLessThanOrEqualTo(1);
            // and the session is alive: reading now gets the stream going again
            final InputStream in = s.getInputStream();
            assertThat(in.readNBytes(1 << 20)).hasSize(1 << 20);
        }
    }

    @Test
    void anIdleSessionIsClosedAfterTheIdleTimeout() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(TcpOptions.DEFAULTS.withIdleTimeout(Duration.ofMillis(300)), 1, echo.address());
        try (Socket s = connect()) {
            assertThat(echoOnce(s, new byte[]{7})).containsExactly(7);
            final long idleSince = System.nanoTime();
            assertThat(s.getInputStream().read()).isEqualTo(-1);
            final long closedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - idleSince);
            assertThat(closedAfterMs).isBetween(250L, 3000L);
        }
        Await.until(() -> lb.listener("front").counters().terminated(Termination.IDLE_TIMEOUT) == 1, 2000);
    }

    @Test
    void activityKeepsASessionAlivePastTheIdleTimeout() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(TcpOptions.DEFAULTS.withIdleTimeout(Duration.ofMillis(400)), 1, echo.address());
        try (Socket s = connect()) {
            for (int i = 0; i < 8; i++) { // 8 x 150 ms = 1.2 s, three idle timeouts' worth, never idle for one
                assertThat(echoOnce(s, new byte[]{(byte) i})).containsExactly(i);
                Thread.sleep(150);
            }
        }
        assertThat(lb.listener("front").counters().terminated(Termination.IDLE_TIMEOUT)).isZero();
    }

    @Test
    void gracefulStopLetsAnInFlightTransferFinish() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(echo.address());
        final byte[] data = new byte[2 << 20];
        new Random(42).nextBytes(data);
        try (Socket s = connect(); ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            final Future<byte[]> received = pool.submit(() -> TcpServers.readAll(s.getInputStream(), data.length + 1));
            final Future<?> writer = pool.submit(() -> {
                final OutputStream out = s.getOutputStream();
                for (int off = 0; off < data.length; off += 64 * 1024) {
                    out.write(data, off, 64 * 1024);
                    Thread.sleep(20); // ~0.6 s in all: the stop lands mid-transfer
                }
                s.shutdownOutput();
                return null;
            });
            // the transfer under way (it takes ~0.6 s) when the stop comes
            Await.until(() -> lb.group("g").snapshot().servers()[0].counters().bytesToServer() > 0, 5000);
            final Future<Boolean> stopped = pool.submit(() -> lb.stop(Duration.ofSeconds(20)));
            writer.get(20, TimeUnit.SECONDS);
            assertThat(received.get(20, TimeUnit.SECONDS)).isEqualTo(data);
            assertThat(stopped.get(20, TimeUnit.SECONDS)).isTrue();
        }
        assertThatThrownBy(() -> new Socket().connect(lb.localAddress("front"), 1000)).isInstanceOf(IOException.class);
    }

    @Test
    void gracefulStopClosesWhatIsStillOpenWhenTheGraceRunsOut() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(echo.address());
        try (Socket s = connect()) {
            assertThat(echoOnce(s, new byte[]{1})).containsExactly(1);
            final long started = System.nanoTime();
            assertThat(lb.stop(Duration.ofMillis(300))).isFalse();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isBetween(250L, 5000L);
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        assertThat(lb.listener("front").counters().terminated(Termination.SHUTDOWN)).isEqualTo(1);
    }

    @Test
    void aServerResetIsPassedOnToTheClientAsAReset() throws Exception {
        final TcpServers.Scripted resetter = rig.track(new TcpServers.Scripted(s -> {
            try {
                s.getInputStream().read();
                s.setSoLinger(true, 0); // close with RST
            } catch (final IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }));
        start(resetter.address());
        try (Socket s = connect()) {
            s.getOutputStream().write(1);
            assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketException.class);
        }
        Await.until(() -> lb.listener("front").counters().terminated(Termination.SERVER_RESET) == 1, 2000);
    }

    @Test
    void aClientResetClosesTheServerSideAndIsCounted() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(echo.address());
        final Socket s = connect();
        assertThat(echoOnce(s, new byte[]{9})).containsExactly(9);
        s.setSoLinger(true, 0);
        s.close();
        Await.until(() -> lb.listener("front").counters().terminated(Termination.CLIENT_RESET) == 1, 2000);
        Await.until(() -> lb.activeSessions() == 0, 2000);
    }

    @Test
    void aSecondListenerOnTheSameAddressIsRefusedWithTheAddressInTheMessage() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(echo.address());
        final InetSocketAddress taken = lb.localAddress("front");
        final Config again = Config.single(2, Duration.ZERO,
            new ListenerConfig(taken, "g", TcpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig(echo.address(), 1))));
        assertThatThrownBy(() -> rig.start(again))
            .isInstanceOf(BindException.class)
            .hasMessageContaining("127.0.0.1:" + taken.getPort())
            .hasMessageContaining("in use");
    }

    @Test
    void aStartThatFailsOnALaterListenerReleasesThePortsOfTheEarlierOnes() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        final InetSocketAddress free = TcpServers.freeAddress();
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            final Config twoListeners = new Config(2, Duration.ZERO, List.of(
                new ListenerConfig(free, "g", TcpOptions.DEFAULTS),
                new ListenerConfig((InetSocketAddress) taken.getLocalSocketAddress(), "g", TcpOptions.DEFAULTS)),
                List.of(new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig(echo.address(), 1)))));
            assertThatThrownBy(() -> rig.start(twoListeners)).isInstanceOf(BindException.class);
        }
        try (java.net.ServerSocket again = new java.net.ServerSocket()) {
            again.bind(free); // the first listener's sockets were closed when the start failed
            assertThat(again.getLocalPort()).isEqualTo(free.getPort());
        }
    }

    @Test
    void connectionsAreSpreadOverEveryLoopAndListedInTheConnectionTable() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(TcpOptions.DEFAULTS, 2, echo.address());
        final List<Socket> open = new ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) {
                final Socket s = connect();
                open.add(s);
                assertThat(echoOnce(s, new byte[]{(byte) i, 0, 0})).containsExactly(i, 0, 0);
            }
            final List<SessionInfo> table = lb.sessions();
            assertThat(table).hasSize(40);
            assertThat(table).allSatisfy(info -> {
                assertThat(info.server()).isEqualTo("s0");
                assertThat(info.bytesIn()).isEqualTo(3);
                assertThat(info.bytesOut()).isEqualTo(3);
                assertThat(info.state()).isEqualTo("relaying");
            });
            final long loopsUsed = table.stream().mapToLong(info -> info.id() >>> 48).distinct().count();
            assertThat(loopsUsed).isEqualTo(2);
            assertThat(lb.group("g").snapshot().servers()[0].active()).isEqualTo(40);
        } finally {
            for (final Socket s : open) {
                s.close();
            }
        }
        Await.until(() -> lb.group("g").snapshot().servers()[0].active() == 0, 3000);
    }

    @Test
    void aServerAtWeightZeroGetsNoNewSessions() throws Exception {
        final EchoServer a = rig.track(new EchoServer());
        final EchoServer b = rig.track(new EchoServer());
        start(a.address(), b.address());
        lb.group("g").snapshot().servers()[0].weight(0);
        for (int i = 0; i < 10; i++) {
            try (Socket s = connect()) {
                assertThat(echoOnce(s, new byte[]{1})).containsExactly(1);
            }
        }
        assertThat(a.accepted()).isZero();
        assertThat(b.accepted()).isEqualTo(10);
    }

    private static byte[] sha256(final byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }

    @SuppressWarnings("unused")
    private static String hex(final byte[] b) {
        return Arrays.toString(b);
    }
}
