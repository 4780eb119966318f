package dev.niolb.admin;

import com.fasterxml.jackson.databind.JsonNode;

import dev.niolb.LoadBalancer;
import dev.niolb.config.AdminConfig;
import dev.niolb.config.Algorithm;
import dev.niolb.config.CheckSpec;
import dev.niolb.config.Config;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.ListenerLimits;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.file.ConfigFileException;
import dev.niolb.config.file.ConfigSource;
import dev.niolb.testing.Await;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.Http;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.niolb.admin.AdminRig.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Counters that {@code /metrics} exports beyond traffic: reloads, health checks, maxconn, the loops. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetricsCountersTest {
    private static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);

    @RegisterExtension
    final EngineRig rig = new EngineRig();
    private LoadBalancer lb;

    private EchoServer echo(final String name) throws IOException {
        final EchoServer s = new EchoServer(name);
        rig.track(s);
        return s;
    }

    private String metrics() throws Exception {
        return new Http(lb.adminAddress()).get("/metrics").body();
    }

    private static Config config(final ListenerConfig listener, final TargetGroupConfig group) {
        return Config.single(1, Duration.ofSeconds(1), listener, group)
            .withAdmin(AdminConfig.on(ANY));
    }

    @Test
    void reloadsAreCountedAsAppliedOrRefusedAndTheLastOutcomeShows() throws Exception {
        final EchoServer s0 = echo("s0");
        final TargetGroupConfig g = new TargetGroupConfig("g", Algorithm.ROUNDROBIN,
            List.of(new ServerConfig("s0", s0.address(), 1)), HealthCheckConfig.DEFAULTS, 0);
        final Config first = config(new ListenerConfig("front", Protocol.TCP, ANY, "g", TcpOptions.DEFAULTS), g);
        lb = rig.start(first);
        lb.reload(lb.config());
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            final List<ListenerConfig> two = new ArrayList<>(lb.config().listeners());
            two.add(new ListenerConfig("taken", Protocol.TCP, (InetSocketAddress) taken.getLocalSocketAddress(), "g",
                TcpOptions.DEFAULTS));
            final Config clash = new Config(1, Duration.ofSeconds(1), two, lb.config().groups())
                .withAdmin(lb.config().admin());
            assertThatThrownBy(() -> lb.reload(clash)).isInstanceOf(IOException.class);
        }
        String m = metrics();
        assertThat(sample(m, "niolb_reloads_total", "result=\"applied\"")).isEqualTo(1);
        assertThat(sample(m, "niolb_reloads_total", "result=\"refused\"")).isEqualTo(1);
        assertThat(sample(m, "niolb_reload_last_successful")).isZero();

        lb.reload(lb.config());
        m = metrics();
        assertThat(sample(m, "niolb_reloads_total", "result=\"applied\"")).isEqualTo(2);
        assertThat(sample(m, "niolb_reload_last_successful")).isEqualTo(1);
        assertThat(sample(m, "niolb_reload_last_success_timestamp_seconds"))
            .isCloseTo(System.currentTimeMillis() / 1000.0, org.assertj.core.data.Offset.offset(60.0));
    }

    @Test
    void aReloadWhoseConfigDoesNotValidateIsCountedAsRefused() throws Exception {
        final EchoServer s0 = echo("s0");
        lb = rig.start(config(new ListenerConfig("front", Protocol.TCP, ANY, "g", TcpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s0", s0.address(), 1)),
                HealthCheckConfig.DEFAULTS, 0)));
        lb.configSource(new ConfigSource() {
            @Override
            public Config load() {
                throw new ConfigFileException("niolb.yaml:3: weight must be 0..256, got 900");
            }

            @Override
            public String describe() {
                return "niolb.yaml";
            }
        });
        assertThat(new Http(lb.adminAddress()).post("/reload", "").statusCode()).isEqualTo(422);
        final String m = metrics();
        assertThat(sample(m, "niolb_reloads_total", "result=\"refused\"")).isEqualTo(1);
        assertThat(sample(m, "niolb_reloads_total", "result=\"applied\"")).isZero();
        assertThat(sample(m, "niolb_reload_last_successful")).isZero();
    }

    @Test
    void theUdpReplyHistogramIsWrittenForTheServersOfGroupsAUdpListenerUses() throws Exception {
        final InetSocketAddress server = new InetSocketAddress("127.0.0.1", 9); // never connected to here
        lb = rig.start(new Config(1, Duration.ofSeconds(1), List.of(
            new ListenerConfig("t", Protocol.TCP, ANY, "tcp-only", TcpOptions.DEFAULTS),
            new ListenerConfig("u", Protocol.UDP, ANY, "with-udp", TcpOptions.DEFAULTS)), List.of(
            new TargetGroupConfig("tcp-only", Algorithm.ROUNDROBIN, List.of(new ServerConfig("a", server, 1))),
            new TargetGroupConfig("with-udp", Algorithm.ROUNDROBIN, List.of(new ServerConfig("b", server, 1)))))
            .withAdmin(AdminConfig.on(ANY)));

        final String m = metrics();
        assertThat(m).contains("# TYPE niolb_server_udp_reply_seconds histogram")
            .contains("niolb_server_udp_reply_seconds_count{group=\"with-udp\",server=\"b\"} 0")
            .doesNotContain("niolb_server_udp_reply_seconds_count{group=\"tcp-only\"")
            .contains("niolb_server_session_seconds_count{group=\"tcp-only\",server=\"a\"} 0");
    }

    @Test
    void aScraperThatTakesGzipGetsThePageGzippedAndOneThatDoesNotGetsItPlain() throws Exception {
        final EchoServer a = echo("a");
        lb = rig.start(config(new ListenerConfig("front", Protocol.TCP, ANY, "g", TcpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("a", a.address(), 1)))));
        final java.net.URI uri = java.net.URI.create("http://" + dev.niolb.config.Endpoint.hostPort(lb.adminAddress())
            + "/metrics");
        try (java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient()) {
            final java.net.http.HttpResponse<byte[]> zipped = client.send(java.net.http.HttpRequest.newBuilder(uri)
                .header("Accept-Encoding", "gzip").build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            final java.net.http.HttpResponse<String> plain = client.send(java.net.http.HttpRequest.newBuilder(uri)
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString());

            assertThat(zipped.headers().firstValue("Content-Encoding")).hasValue("gzip");
            assertThat(plain.headers().firstValue("Content-Encoding")).isEmpty();
            assertThat(plain.headers().firstValueAsLong("Content-Length")).hasValue(plain.body().getBytes(
                java.nio.charset.StandardCharsets.UTF_8).length);
            final String inflated;
            try (java.util.zip.GZIPInputStream in = new java.util.zip.GZIPInputStream(
                new java.io.ByteArrayInputStream(zipped.body()))) {
                inflated = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            }
            assertThat(inflated.lines().filter(l -> l.startsWith("# TYPE")).toList())
                .isEqualTo(plain.body().lines().filter(l -> l.startsWith("# TYPE")).toList())
                .contains("# TYPE niolb_server_connections_total counter");
        }
    }

    @Test
    void aUdpListenersFlowCapIsExportedAsItsLimit() throws Exception {
        final InetSocketAddress server = new InetSocketAddress("127.0.0.1", 9);
        lb = rig.start(config(new ListenerConfig("u", Protocol.UDP, ANY, "g", TcpOptions.DEFAULTS,
                dev.niolb.config.UdpOptions.DEFAULTS.withMaxFlows(123)),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("b", server, 1)))));

        assertThat(sample(metrics(), "niolb_listener_maxconn_limit", "listener=\"u\"", "protocol=\"udp\""))
            .isEqualTo(123);
    }

    @Test
    void healthChecksAndStateChangesAreCountedPerServer() throws Exception {
        final EchoServer up = echo("up");
        final InetSocketAddress closed;
        try (EchoServer gone = new EchoServer("gone")) {
            closed = gone.address(); // nothing listens there once it is closed
        }
        final HealthCheckConfig health = HealthCheckConfig.DEFAULTS.withChecks(List.of(new CheckSpec.Tcp()))
            .withInterval(Duration.ofMillis(100)).withTimeout(Duration.ofMillis(500)).withFall(1).withRise(1);
        lb = rig.start(config(new ListenerConfig("front", Protocol.TCP, ANY, "g", TcpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("up", up.address(), 1),
                new ServerConfig("down", closed, 1)), health, 0)));
        Await.until(() -> {
            final String m = metrics();
            return sample(m, "niolb_server_state", "server=\"down\"", "state=\"down\"") == 1
                && sample(m, "niolb_server_checks_total", "server=\"up\"", "result=\"passed\"") >= 2;
        }, 10_000);
        final String m = metrics();
        assertThat(sample(m, "niolb_server_checks_total", "server=\"down\"", "result=\"failed\"")).isGreaterThanOrEqualTo(1);
        assertThat(sample(m, "niolb_server_checks_total", "server=\"down\"", "result=\"passed\"")).isZero();
        assertThat(sample(m, "niolb_server_state_changes_total", "server=\"down\"", "state=\"down\"")).isEqualTo(1);
        assertThat(sample(m, "niolb_server_checks_total", "server=\"up\"", "result=\"failed\"")).isZero();
        assertThat(sample(m, "niolb_server_state_changes_total", "server=\"up\"", "state=\"down\"")).isZero();
        // an operator's drain is a state change too
        lb.setState("g", "up", dev.niolb.backend.ServerState.DRAIN);
        assertThat(sample(metrics(), "niolb_server_state_changes_total", "server=\"up\"", "state=\"drain\"")).isEqualTo(1);

        final JsonNode servers = AdminRig.JSON.readTree(new Http(lb.adminAddress()).get("/api/stats").body())
            .get("groups").get(0).get("servers");
        final JsonNode down = servers.get(1);
        assertThat(down.get("name").asText()).isEqualTo("down");
        assertThat(down.get("checks_passed").asLong()).as("/api/stats has them too").isZero();
        assertThat(down.get("checks_failed").asLong()).isGreaterThanOrEqualTo(1);
        assertThat(down.get("state_changes").get("down").asLong()).isEqualTo(1);
        assertThat(servers.get(0).get("state_changes").get("drain").asLong()).isEqualTo(1);
    }

    @Test
    void aListenerAtItsMaxconnCountsItsPausesAndShowsItsLimit() throws Exception {
        final EchoServer s0 = echo("s0");
        final ListenerConfig capped = new ListenerConfig("front", Protocol.TCP, ANY, "g", TcpOptions.DEFAULTS)
            .withLimits(ListenerLimits.NONE.withMaxconn(1));
        lb = rig.start(config(capped, new TargetGroupConfig("g", Algorithm.ROUNDROBIN,
            List.of(new ServerConfig("s0", s0.address(), 1)), HealthCheckConfig.DEFAULTS, 0)).withMaxconn(5));
        final Socket first = connect();
        assertThat(AdminRig.greeting(first)).isEqualTo("s0");
        final Socket second = connect(); // waits in the backlog: the loop stopped accepting
        Await.until(() -> sample(metrics(), "niolb_listener_maxconn_pauses_total", "listener=\"front\"") >= 1, 5000);
        String m = metrics();
        assertThat(sample(m, "niolb_listener_maxconn_limit", "listener=\"front\"")).isEqualTo(1);
        assertThat(sample(m, "niolb_maxconn_limit")).isEqualTo(5);
        assertThat(sample(m, "niolb_maxconn_connections")).isEqualTo(1);
        first.close();
        assertThat(AdminRig.greeting(second)).isEqualTo("s0");
        m = metrics();
        assertThat(sample(m, "niolb_listener_maxconn_paused_seconds_total", "listener=\"front\"")).isGreaterThan(0);
        assertThat(sample(m, "niolb_listener_accept_errors_total", "listener=\"front\"")).isZero();

        final JsonNode front = AdminRig.JSON.readTree(new Http(lb.adminAddress()).get("/api/stats").body())
            .get("listeners").get(0);
        assertThat(front.get("maxconn").asLong()).as("/api/stats has them too").isEqualTo(1);
        assertThat(front.get("maxconn_pauses").asLong())
            .isEqualTo((long) sample(m, "niolb_listener_maxconn_pauses_total", "listener=\"front\""));
        assertThat(front.get("maxconn_paused_ms").asLong()).isGreaterThan(0);
        assertThat(front.get("accept_errors").asLong()).isZero();
        assertThat(front.has("datagrams_in")).as("a TCP listener's row has no UDP keys").isFalse();
    }

    @Test
    void everyRelayLoopHasAHeartbeatAndNoneIsBusyWhenIdle() throws Exception {
        final EchoServer s0 = echo("s0");
        lb = rig.start(Config.single(2, Duration.ofSeconds(1),
                new ListenerConfig("front", Protocol.TCP, ANY, "g", TcpOptions.DEFAULTS),
                new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s0", s0.address(), 1)),
                    HealthCheckConfig.DEFAULTS, 0))
            .withAdmin(AdminConfig.on(ANY)));
        try (Socket s = connect()) {
            assertThat(AdminRig.greeting(s)).isEqualTo("s0");
        }
        final String m = metrics();
        for (final String loop : List.of("loop=\"0\"", "loop=\"1\"")) {
            // start() returns once the loops' threads are started, not once each has run: a loop the session did
            // not go to may not have been scheduled yet on a loaded machine
            Await.until(() -> sample(metrics(), "niolb_event_loop_iterations_total", loop) > 0, 5000);
            assertThat(sample(m, "niolb_event_loop_errors_total", loop)).isZero();
            assertThat(sample(m, "niolb_event_loop_busy_poll_found_total", loop)).isZero(); // busy-poll is off
        }
        Await.until(() -> sample(metrics(), "niolb_event_loop_busy_seconds", "loop=\"0\"") == 0
            && sample(metrics(), "niolb_event_loop_busy_seconds", "loop=\"1\"") == 0, 5000);
        assertThat(sample(m, "niolb_build_info", "version=\"")).isEqualTo(1);
    }

    private Socket connect() throws IOException {
        final Socket s = new Socket();
        s.connect(lb.localAddress("front"), 2000);
        s.setSoTimeout(5000);
        rig.track(s);
        return s;
    }
}
