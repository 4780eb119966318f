package dev.niolb.accesslog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.niolb.LoadBalancer;
import dev.niolb.config.AccessLogFormat;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.UdpOptions;
import dev.niolb.backend.ServerState;
import dev.niolb.testing.AccessLines;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import dev.niolb.testing.TcpServers;
import dev.niolb.testing.UdpClient;
import dev.niolb.testing.UdpEchoServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The access log line of real sessions through a running engine, one test per way a session ends: every field
 * (client, listener, group/server, connect time, duration, bytes each way, retries, termination).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@EveryTransport
class AccessLogSessionsTest {
    /** client [time] proto listener group/server connect/duration in out retries termination */
    private static final Pattern PLAIN = Pattern.compile(
        "^(\\S+):(\\d+) \\[(\\S+)] (tcp|udp) (\\S+) (\\S+)/(\\S+) (-1|[\\d.]+)/([\\d.]+) (\\d+) (\\d+) (\\d+) (\\S+)$");
    private static final String CLIENT_IP = "127.0.0.2";

    @RegisterExtension
    final EngineRig rig;

    private AccessLines lines;
    private LoadBalancer lb;

    AccessLogSessionsTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    /** One plain line, split into its fields. */
    private record Line(String clientIp, int clientPort, String protocol, String listener, String group,
                        String server, double connectMs, double durationMs, long bytesIn, long bytesOut, int retries,
                        String termination) {
        static Line parse(final String text) {
            final Matcher m = PLAIN.matcher(text);
            assertThat(m.matches()).as("plain access line: %s", text).isTrue();
            return new Line(m.group(1), Integer.parseInt(m.group(2)), m.group(4), m.group(5), m.group(6),
                m.group(7), Double.parseDouble(m.group(8)), Double.parseDouble(m.group(9)), Long.parseLong(m.group(10)),
                Long.parseLong(m.group(11)), Integer.parseInt(m.group(12)), m.group(13));
        }
    }

    @BeforeEach
    void capture() {
        lines = rig.track(new AccessLines()); // tracked first, closed last: after niolb has stopped
    }

    private void start(final AccessLogFormat format, final TcpOptions tcp, final HealthCheckConfig health,
                       final InetSocketAddress... servers) throws IOException {
        final List<ServerConfig> configs = new ArrayList<>();
        for (int i = 0; i < servers.length; i++) {
            configs.add(new ServerConfig("s" + i, servers[i], 1));
        }
        lb = rig.start(Config.single(1, Duration.ofSeconds(5),
                new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g", tcp),
                new TargetGroupConfig("g", Algorithm.ROUNDROBIN, configs, health, 0))
            .withAccessLog(format));
    }

    private void start(final TcpOptions tcp, final InetSocketAddress... servers) throws IOException {
        start(AccessLogFormat.PLAIN, tcp, HealthCheckConfig.DEFAULTS, servers);
    }

    private Socket client() throws IOException {
        final Socket s = new Socket();
        s.bind(new InetSocketAddress(CLIENT_IP, 0));
        s.connect(lb.localAddress("front"), 2000);
        s.setSoTimeout(5000);
        return rig.track(s);
    }

    private Line awaitLine(final Socket client) throws Exception {
        final String prefix = CLIENT_IP + ":" + client.getLocalPort() + " ";
        return Line.parse(lines.await(l -> l.startsWith(prefix), 5000));
    }

    private void assertServerSide(final Line line, final Socket client, final String server) {
        assertThat(line.clientIp()).isEqualTo(CLIENT_IP);
        assertThat(line.clientPort()).isEqualTo(client.getLocalPort());
        assertThat(line.protocol()).isEqualTo("tcp");
        assertThat(line.listener()).isEqualTo("front");
        assertThat(line.group()).isEqualTo("g");
        assertThat(line.server()).isEqualTo(server);
    }

    @Test
    void aClientThatFinishesFirstIsLoggedAsClientCloseWithBytesEachWay() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(TcpOptions.DEFAULTS, echo.address());
        final Socket c = client();
        c.getOutputStream().write("hello world".getBytes(StandardCharsets.UTF_8)); // 11 bytes in
        assertThat(TcpServers.readAll(c.getInputStream(), 11)).hasSize(11);
        c.shutdownOutput();
        assertThat(c.getInputStream().read()).isEqualTo(-1);
        c.close();
        final Line line = awaitLine(c);
        assertServerSide(line, c, "s0");
        assertThat(line.connectMs()).isGreaterThan(0).isLessThan(5000);
        assertThat(line.bytesIn()).isEqualTo(11);
        assertThat(line.bytesOut()).isEqualTo(11);
        assertThat(line.retries()).isZero();
        assertThat(line.termination()).isEqualTo("client_close");
    }

    @Test
    void aServerThatFinishesFirstIsLoggedAsServerCloseInJson() throws Exception {
        final TcpServers.Scripted server = rig.track(new TcpServers.Scripted(s -> {
            try {
                s.getOutputStream().write("bye\n".getBytes(StandardCharsets.UTF_8));
            } catch (final IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }));
        start(AccessLogFormat.JSON, TcpOptions.DEFAULTS, HealthCheckConfig.DEFAULTS, server.address());
        final Socket c = client();
        assertThat(TcpServers.readAll(c.getInputStream(), 100)).hasSize(4); // then end of stream
        c.close();
        final String text = lines.await(l -> l.contains("\"client\":\"" + CLIENT_IP + ":" + c.getLocalPort() + "\""),
            5000);
        final JsonNode json = new ObjectMapper().readTree(text);
        assertThat(json.get("protocol").asText()).isEqualTo("tcp");
        assertThat(json.get("listener").asText()).isEqualTo("front");
        assertThat(json.get("group").asText()).isEqualTo("g");
        assertThat(json.get("server").asText()).isEqualTo("s0");
        assertThat(json.get("connect_ms").asDouble()).isGreaterThan(0);
        assertThat(json.get("duration_ms").asDouble()).isGreaterThanOrEqualTo(json.get("connect_ms").asDouble() - 1);
        assertThat(json.get("bytes_in").asLong()).isZero();
        assertThat(json.get("bytes_out").asLong()).isEqualTo(4);
        assertThat(json.get("retries").asInt()).isZero();
        assertThat(json.get("termination").asText()).isEqualTo("server_close");
        assertThat(json.get("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
    }

    @Test
    void aClientResetIsLoggedAsClientReset() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(TcpOptions.DEFAULTS, echo.address());
        final Socket c = client();
        c.getOutputStream().write(new byte[]{1, 2, 3});
        assertThat(TcpServers.readAll(c.getInputStream(), 3)).hasSize(3);
        c.setSoLinger(true, 0);
        c.close(); // RST
        final Line line = awaitLine(c);
        assertServerSide(line, c, "s0");
        assertThat(line.bytesIn()).isEqualTo(3);
        assertThat(line.termination()).isEqualTo("client_reset");
    }

    @Test
    void aServerResetIsLoggedAsServerReset() throws Exception {
        // the reset only once the client has read the byte: a reset passed on before would discard it unread
        final java.util.concurrent.CountDownLatch read = new java.util.concurrent.CountDownLatch(1);
        final TcpServers.Scripted server = rig.track(new TcpServers.Scripted(s -> {
            try {
                s.getOutputStream().write("x".getBytes(StandardCharsets.UTF_8));
                s.getOutputStream().flush();
                if (!read.await(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the client never read the byte");
                }
                s.setSoLinger(true, 0); // close() then sends RST
            } catch (final IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }));
        start(TcpOptions.DEFAULTS, server.address());
        final Socket c = client();
        final InputStream in = c.getInputStream();
        assertThat(in.read()).isEqualTo('x');
        read.countDown();
        final Line line = awaitLine(c);
        assertServerSide(line, c, "s0");
        assertThat(line.bytesOut()).isEqualTo(1);
        assertThat(line.termination()).isEqualTo("server_reset");
    }

    @Test
    void anIdleSessionIsLoggedAsIdleTimeoutAfterItsIdleTime() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(TcpOptions.DEFAULTS.withIdleTimeout(Duration.ofMillis(300)), echo.address());
        final Socket c = client();
        final Line line = awaitLine(c);
        assertServerSide(line, c, "s0");
        assertThat(line.termination()).isEqualTo("idle_timeout");
        assertThat(line.durationMs()).isBetween(290.0, 2000.0);
        assertThat(line.bytesIn()).isZero();
        assertThat(line.bytesOut()).isZero();
    }

    @Test
    void theConnectTimeOfASessionThatNeededARetryCountsEveryTryAsHaproxysTcDoes() throws Exception {
        final dev.niolb.testing.FullBacklogServer silent = rig.track(new dev.niolb.testing.FullBacklogServer("slow"));
        final EchoServer echo = rig.track(new EchoServer());
        start(TcpOptions.DEFAULTS.withConnectTimeout(Duration.ofMillis(300)), silent.address(), echo.address());
        final Socket c = client();
        c.getOutputStream().write("hi".getBytes(StandardCharsets.UTF_8));
        assertThat(TcpServers.readAll(c.getInputStream(), 2)).hasSize(2);
        c.close();

        final Line line = awaitLine(c);
        assertThat(line.server()).isEqualTo("s1");
        assertThat(line.retries()).isEqualTo(1);
        assertThat(line.connectMs()).as("the first try's timeout included").isGreaterThanOrEqualTo(300);
        final dev.niolb.metrics.LatencySnapshot s1 = lb.group("g").snapshot().server("s1").counters().connectTimes()
            .snapshot(System.currentTimeMillis());
        assertThat(s1.count()).isEqualTo(1);
        assertThat(s1.sumMicros()).as("the server's own connect time: its try only").isLessThan(300_000);
    }

    @Test
    void aSessionWhoseEveryConnectFailedIsLoggedAsConnectFailureWithItsRetries() throws Exception {
        start(TcpOptions.DEFAULTS.withRetries(2), TcpServers.refusingAddress(), TcpServers.refusingAddress(),
            TcpServers.refusingAddress());
        final Socket c = client();
        assertThat(c.getInputStream().read()).isEqualTo(-1);
        final Line line = awaitLine(c);
        assertThat(line.server()).matches("s[012]"); // the last one tried
        assertThat(line.connectMs()).isEqualTo(-1);
        assertThat(line.retries()).isEqualTo(2);
        assertThat(line.durationMs()).as("three refused connects take time, on epoll all in one wake-up").isPositive();
        assertThat(line.termination()).isEqualTo("connect_failure");
    }

    @Test
    void aSessionNoServerCouldTakeIsLoggedAsNoServer() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(TcpOptions.DEFAULTS, echo.address());
        lb.group("g").snapshot().server("s0").operatorMode(ServerState.MAINT, "test");
        final Socket c = client();
        assertThat(c.getInputStream().read()).isEqualTo(-1);
        final Line line = awaitLine(c);
        assertThat(line.server()).isEqualTo("-");
        assertThat(line.connectMs()).isEqualTo(-1);
        assertThat(line.retries()).isZero();
        assertThat(line.termination()).isEqualTo("no_server");
    }

    @Test
    void aClientTheAccessListRefusesAtAcceptIsLoggedAsRejected() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(TcpOptions.DEFAULTS, echo.address());
        final ListenerConfig denying = lb.config().listeners().getFirst().withLimits(dev.niolb.config.ListenerLimits.NONE
            .withAccess(dev.niolb.admission.CidrSet.EMPTY, dev.niolb.admission.CidrSet.parse(List.of(CLIENT_IP + "/32"))));
        lb.reload(lb.config().withListeners(List.of(denying)));
        final Socket c = rig.track(new Socket());
        c.bind(new InetSocketAddress(CLIENT_IP, 0));
        assertThatThrownBy(() -> { // reset at once: the connect's return, or the first read, says it
            c.connect(lb.localAddress("front"), 2000);
            c.setSoTimeout(5000);
            c.getInputStream().read();
        }).hasMessageContaining("reset");

        final Line line = awaitLine(c); // as nginx logs a deny: refusals are audited in the access log too
        assertServerSide(line, c, "-");
        assertThat(line.connectMs()).isEqualTo(-1);
        assertThat(line.bytesIn()).isZero();
        assertThat(line.termination()).isEqualTo("rejected");
        assertThat(echo.accepted()).isZero();
    }

    @Test
    void sessionsOpenWhenTheEngineStopsAreLoggedAsShutdown() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(TcpOptions.DEFAULTS, echo.address());
        final Socket c = client();
        final OutputStream out = c.getOutputStream();
        out.write(new byte[7]);
        assertThat(TcpServers.readAll(c.getInputStream(), 7)).hasSize(7);
        lb.stop(Duration.ZERO);
        final Line line = awaitLine(c);
        assertServerSide(line, c, "s0");
        assertThat(line.bytesIn()).isEqualTo(7);
        assertThat(line.termination()).isEqualTo("shutdown");
    }

    @Test
    void sessionsClosedByAPacedDrainAreLoggedAsDrained() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(AccessLogFormat.PLAIN, TcpOptions.DEFAULTS, HealthCheckConfig.DEFAULTS.withDrain(Duration.ofMillis(200), 0),
            echo.address());
        final Socket c = client();
        c.getOutputStream().write(1);
        assertThat(c.getInputStream().read()).isEqualTo(1);
        lb.group("g").snapshot().server("s0").operatorMode(ServerState.DRAIN, "test");
        final Line line = awaitLine(c);
        assertServerSide(line, c, "s0");
        assertThat(line.termination()).isEqualTo("drained");
    }

    @Test
    void aSessionAtItsMaximumAgeIsLoggedAsMaxAge() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(TcpOptions.DEFAULTS.withMaxConnectionAge(Duration.ofMillis(300)), echo.address());
        final Socket c = client();
        final Line line = awaitLine(c);
        assertServerSide(line, c, "s0");
        assertThat(line.termination()).isEqualTo("max_age");
        assertThat(line.durationMs()).isBetween(250.0, 2000.0);
    }

    @Test
    void aUdpFlowIsLoggedWhenItExpiresAndWhenItHadItsResponses() throws Exception {
        final UdpEchoServer echo = rig.track(new UdpEchoServer("e"));
        final UdpOptions idle = UdpOptions.DEFAULTS.withIdleTimeout(Duration.ofMillis(300));
        lb = rig.start(new Config(1, Duration.ofSeconds(5), List.of(
                new ListenerConfig("dns", Protocol.UDP, new InetSocketAddress("127.0.0.1", 0), "g",
                    TcpOptions.DEFAULTS, idle),
                new ListenerConfig("dns1", Protocol.UDP, new InetSocketAddress("127.0.0.1", 0), "g",
                    TcpOptions.DEFAULTS, idle.withResponses(1))),
            List.of(new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("u0", echo.address(), 1)))))
            .withAccessLog(AccessLogFormat.PLAIN));
        final UdpClient a = rig.track(new UdpClient(lb.localAddress("dns"), CLIENT_IP));
        a.send("ping"); // 4 bytes in, "e:ping" 6 bytes out
        assertThat(a.receiveText(2000)).isEqualTo("e:ping");
        final UdpClient b = rig.track(new UdpClient(lb.localAddress("dns1"), CLIENT_IP));
        b.send("q");
        assertThat(b.receiveText(2000)).isEqualTo("e:q");

        final Line answered = Line.parse(lines.await(l -> l.startsWith(CLIENT_IP + ":" + b.localAddress().getPort() + " "), 5000));
        assertThat(answered.protocol()).isEqualTo("udp");
        assertThat(answered.listener()).isEqualTo("dns1");
        assertThat(answered.server()).isEqualTo("u0");
        assertThat(answered.connectMs()).isEqualTo(-1);
        assertThat(answered.bytesIn()).isEqualTo(1);
        assertThat(answered.bytesOut()).isEqualTo(3);
        assertThat(answered.durationMs()).as("from the query to its reply").isPositive();
        assertThat(answered.termination()).isEqualTo("responses");

        final Line expired = Line.parse(lines.await(l -> l.startsWith(CLIENT_IP + ":" + a.localAddress().getPort() + " "), 5000));
        assertThat(expired.listener()).isEqualTo("dns");
        assertThat(expired.group()).isEqualTo("g");
        assertThat(expired.server()).isEqualTo("u0");
        assertThat(expired.bytesIn()).isEqualTo(4);
        assertThat(expired.bytesOut()).isEqualTo(6);
        assertThat(expired.durationMs()).isGreaterThanOrEqualTo(290);
        assertThat(expired.termination()).isEqualTo("idle_timeout");
    }
}
