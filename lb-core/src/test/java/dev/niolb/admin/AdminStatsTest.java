package dev.niolb.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.niolb.LoadBalancer;
import dev.niolb.config.AdminConfig;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.UdpOptions;
import dev.niolb.testing.Await;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.Http;
import dev.niolb.testing.TcpServers;
import dev.niolb.testing.UdpClient;
import dev.niolb.testing.UdpEchoServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.niolb.admin.AdminRig.sample;
import static org.assertj.core.api.Assertions.assertThat;

/** What {@code /api/stats}, {@code /metrics} and {@code /api/connections} report for known traffic. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminStatsTest {
    @RegisterExtension
    final EngineRig engine = new EngineRig();

    @Test
    void countersMatchAKnownWorkloadExactlyInStatsAndMetrics() throws Exception {
        final int sessions = 10;
        final int size = 1000;
        try (AdminRig rig = new AdminRig(2).start()) {
            for (int i = 0; i < sessions; i++) {
                try (Socket s = rig.connect()) {
                    assertThat(AdminRig.greeting(s)).matches("s[01]");
                    s.getOutputStream().write(new byte[size]);
                    assertThat(TcpServers.readAll(s.getInputStream(), size)).hasSize(size);
                    s.shutdownOutput();
                    assertThat(s.getInputStream().read()).isEqualTo(-1);
                }
            }
            Await.until(() -> rig.lb.activeSessions() == 0
                && rig.lb.listener("front").counters().terminated(dev.niolb.session.Termination.CLIENT_CLOSE) == sessions,
                5000);
            final long in = (long) sessions * size;
            final long out = (long) sessions * (size + 3); // each server greets with "sN\n"

            final JsonNode stats = rig.stats();
            final JsonNode listener = stats.get("listeners").get(0);
            assertThat(listener.get("name").asText()).isEqualTo("front");
            assertThat(listener.get("accepted").asLong()).isEqualTo(sessions);
            assertThat(listener.get("active").asLong()).isZero();
            assertThat(listener.get("bytes_in").asLong()).isEqualTo(in);
            assertThat(listener.get("bytes_out").asLong()).isEqualTo(out);
            assertThat(listener.get("ended").get("client_close").asLong()).isEqualTo(sessions);
            assertThat(listener.get("session_ms").get("count").asLong()).isEqualTo(sessions);
            long total = 0;
            long serverIn = 0;
            long serverOut = 0;
            long connects = 0;
            for (final JsonNode s : stats.get("groups").get(0).get("servers")) {
                total += s.get("total").asLong();
                serverIn += s.get("bytes_in").asLong();
                serverOut += s.get("bytes_out").asLong();
                connects += s.get("connect_ms").get("count").asLong();
                assertThat(s.get("state").asText()).isEqualTo("up");
                assertThat(s.get("active").asLong()).isZero();
            }
            assertThat(total).isEqualTo(sessions);
            assertThat(connects).isEqualTo(sessions);
            assertThat(serverIn).isEqualTo(in);
            assertThat(serverOut).isEqualTo(out);
            assertThat(stats.get("groups").get(0).get("servers_up").asLong()).isEqualTo(2);
            assertThat(stats.get("sessions").asLong()).isZero();
            assertThat(stats.get("loops").asLong()).isEqualTo(2);

            final String m = rig.metrics();
            assertThat(sample(m, "niolb_listener_accepted_total", "listener=\"front\"")).isEqualTo(sessions);
            assertThat(sample(m, "niolb_listener_active_connections", "listener=\"front\"")).isZero();
            assertThat(sample(m, "niolb_listener_bytes_total", "direction=\"in\"")).isEqualTo(in);
            assertThat(sample(m, "niolb_listener_bytes_total", "direction=\"out\"")).isEqualTo(out);
            assertThat(sample(m, "niolb_listener_sessions_ended_total", "reason=\"client_close\"")).isEqualTo(sessions);
            assertThat(sample(m, "niolb_listener_session_seconds_count", "listener=\"front\"")).isEqualTo(sessions);
            assertThat(sample(m, "niolb_server_connections_total", "server=\"s0\"")
                + sample(m, "niolb_server_connections_total", "server=\"s1\"")).isEqualTo(sessions);
            assertThat(sample(m, "niolb_server_bytes_total", "server=\"s0\"", "direction=\"in\"")
                + sample(m, "niolb_server_bytes_total", "server=\"s1\"", "direction=\"in\"")).isEqualTo(in);
            assertThat(sample(m, "niolb_server_bytes_total", "server=\"s0\"", "direction=\"out\"")
                + sample(m, "niolb_server_bytes_total", "server=\"s1\"", "direction=\"out\"")).isEqualTo(out);
            assertThat(sample(m, "niolb_server_connect_seconds_count", "server=\"s0\"")
                + sample(m, "niolb_server_connect_seconds_count", "server=\"s1\"")).isEqualTo(sessions);
            assertThat(sample(m, "niolb_server_state", "server=\"s0\"", "state=\"up\"")).isEqualTo(1);
            assertThat(sample(m, "niolb_server_state", "server=\"s0\"", "state=\"drain\"")).isZero();
            assertThat(sample(m, "niolb_group_servers_up", "group=\"g\"")).isEqualTo(2);
            assertThat(sample(m, "niolb_sessions")).isZero();
            assertThat(sample(m, "niolb_event_loops")).isEqualTo(2);
        }
    }

    @Test
    void latencyQuantilesAreSane() throws Exception {
        final long holdMs = 300;
        try (AdminRig rig = new AdminRig(1).start()) {
            final List<Socket> open = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                final Socket s = rig.connect();
                AdminRig.greeting(s);
                open.add(s);
            }
            Thread.sleep(holdMs); // the behaviour: the sessions' length is the figure under test
            for (final Socket s : open) {
                s.close();
            }
            Await.until(() -> rig.lb.activeSessions() == 0, 5000);
            final JsonNode s0 = rig.server(rig.stats(), "s0");
            final double connectP50 = s0.get("connect_ms").get("p50").asDouble();
            final double connectP99 = s0.get("connect_ms").get("p99").asDouble();
            assertThat(connectP50).isGreaterThan(0).isLessThanOrEqualTo(connectP99);
            assertThat(connectP99).isLessThan(TcpOptions.DEFAULTS.connectTimeout().toMillis());
            final JsonNode session = s0.get("session_ms");
            assertThat(session.get("count").asLong()).isEqualTo(5);
            assertThat(session.get("p50").asDouble()).isBetween(holdMs * 0.9, holdMs + 1000.0);
            assertThat(session.get("max").asDouble()).isLessThan(holdMs + 2000.0);
            assertThat(session.get("sum").asDouble()).isBetween(5 * holdMs * 0.9, 5 * (holdMs + 1000.0));

            final String m = rig.metrics();
            assertThat(sample(m, "niolb_server_connect_seconds_bucket", "server=\"s0\"", "le=\"5\"")).isEqualTo(5);
            // held 300 ms: none of the five under 0.1 s, all of them under 5 s
            assertThat(sample(m, "niolb_server_session_seconds_bucket", "server=\"s0\"", "le=\"0.1\"")).isZero();
            assertThat(sample(m, "niolb_server_session_seconds_bucket", "server=\"s0\"", "le=\"5\"")).isEqualTo(5);
            assertThat(sample(m, "niolb_server_session_seconds_sum", "server=\"s0\""))
                .isBetween(5 * holdMs * 0.9 / 1000, 5 * (holdMs + 1000.0) / 1000);
        }
    }

    @Test
    void connectionsListsLiveSessionsWithTheirBytes() throws Exception {
        try (AdminRig rig = new AdminRig(2).start(Algorithm.ROUNDROBIN, 1, null)) {
            final Map<Integer, String> serverByPort = new HashMap<>();
            final Map<Integer, Integer> sentByPort = new HashMap<>();
            for (int i = 1; i <= 3; i++) {
                final Socket s = rig.connect();
                serverByPort.put(s.getLocalPort(), AdminRig.greeting(s));
                s.getOutputStream().write(new byte[10 * i]);
                assertThat(TcpServers.readAll(s.getInputStream(), 10 * i)).hasSize(10 * i);
                sentByPort.put(s.getLocalPort(), 10 * i);
            }
            final JsonNode all = AdminRig.JSON.readTree(rig.http.get("/api/connections").body());
            assertThat(all.get("total").asInt()).isEqualTo(3);
            for (final JsonNode row : all.get("connections")) {
                final int port = Integer.parseInt(row.get("client").asText().replaceAll(".*:", ""));
                assertThat(row.get("client").asText()).startsWith("127.0.0.1:");
                assertThat(row.get("listener").asText()).isEqualTo("front");
                assertThat(row.get("group").asText()).isEqualTo("g");
                assertThat(row.get("server").asText()).isEqualTo(serverByPort.get(port));
                assertThat(row.get("state").asText()).isEqualTo("relaying");
                assertThat(row.get("bytes_in").asLong()).isEqualTo((long) sentByPort.get(port));
                assertThat(row.get("bytes_out").asLong()).isEqualTo(sentByPort.get(port) + 3L);
                assertThat(row.get("age_ms").asLong()).isGreaterThanOrEqualTo(0);
                assertThat(row.get("id").asText()).matches("[0-9a-f]+");
            }
            final long onS0 = serverByPort.values().stream().filter("s0"::equals).count();
            final JsonNode s0 = AdminRig.JSON.readTree(rig.http.get("/api/connections?server=s0").body());
            assertThat(s0.get("total").asLong()).isEqualTo(onS0);
            assertThat(AdminRig.JSON.readTree(rig.http.get("/api/connections?group=g&server=s0").body()).get("total")
                .asLong()).isEqualTo(onS0);
            assertThat(AdminRig.JSON.readTree(rig.http.get("/api/connections?group=other&server=s0").body())
                .get("total").asLong()).as("s0 of another group").isZero();
            final JsonNode one = AdminRig.JSON.readTree(rig.http.get("/api/connections?limit=1").body());
            assertThat(one.get("total").asInt()).isEqualTo(3);
            assertThat(one.get("shown").asInt()).isEqualTo(1);
            assertThat(one.get("connections")).hasSize(1);
            final HttpResponse<String> bad = rig.http.get("/api/connections?limit=many");
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(bad.body()).contains("limit must be");
            final HttpResponse<String> typo = rig.http.get("/api/connections?srever=s0");
            assertThat(typo.statusCode()).isEqualTo(400);
            assertThat(typo.body()).contains("unknown parameter 'srever'");
        }
    }

    @Test
    void udpReplyTimesAndFlowBytesAreReported() throws Exception {
        final UdpEchoServer echo = engine.track(new UdpEchoServer("e"));
        final LoadBalancer lb = engine.start(Config.single(1, Duration.ofSeconds(5),
                new ListenerConfig("dns", Protocol.UDP, new InetSocketAddress("127.0.0.1", 0), "g",
                    TcpOptions.DEFAULTS, UdpOptions.DEFAULTS),
                new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("u0", echo.address(), 1))))
            .withAdmin(AdminConfig.on(new InetSocketAddress("127.0.0.1", 0))));
        try (UdpClient client = new UdpClient(lb.localAddress("dns"))) {
            for (int i = 0; i < 5; i++) {
                client.send("ping");
                assertThat(client.receiveText(2000)).isEqualTo("e:ping");
            }
            final Http http = new Http(lb.adminAddress());
            Await.until(() -> AdminRig.JSON.readTree(http.get("/api/stats").body()).get("listeners").get(0)
                .get("bytes_out").asLong() == 5 * 6, 5000);
            final JsonNode stats = AdminRig.JSON.readTree(http.get("/api/stats").body());
            final JsonNode listener = stats.get("listeners").get(0);
            assertThat(listener.get("protocol").asText()).isEqualTo("udp");
            assertThat(listener.get("accepted").asLong()).isEqualTo(1); // one flow
            assertThat(listener.get("active").asLong()).isEqualTo(1);
            assertThat(listener.get("bytes_in").asLong()).isEqualTo(5 * 4);
            final JsonNode reply = stats.get("groups").get(0).get("servers").get(0).get("udp_reply_ms");
            assertThat(reply.get("count").asLong()).isEqualTo(5);
            assertThat(reply.get("p99").asDouble()).isGreaterThanOrEqualTo(0).isLessThan(2000);
            assertThat(listener.get("dropped").get("flow_limit").asLong()).isZero();
            assertThat(listener.get("datagrams_in").asLong()).isEqualTo(5);
            assertThat(listener.get("datagrams_out").asLong()).isEqualTo(5);
            assertThat(listener.get("receive_errors").asLong()).isZero();
            assertThat(listener.has("maxconn")).as("a UDP listener's row has no TCP keys").isFalse();
            assertThat(listener.get("max_flows").asLong()).isEqualTo(lb.udpListener("dns").maxFlows()).isPositive();
        }
    }

    @Test
    void aGroupInPanicIsOneInTheMetricsAndTrueInTheStats() throws Exception {
        try (AdminRig rig = new AdminRig(2).start()) {
            final dev.niolb.backend.TargetGroup g = rig.lb.group("g");
            g.health(g.health().withPanicThreshold(100));
            assertThat(sample(rig.metrics(), "niolb_group_panic", "group=\"g\"")).isZero();
            assertThat(rig.stats().get("groups").get(0).get("panic").asBoolean()).isFalse();

            g.snapshot().server("s0").health(false, "test"); // 1 of 2 UP: under 100%

            assertThat(sample(rig.metrics(), "niolb_group_panic", "group=\"g\"")).isEqualTo(1.0);
            assertThat(rig.stats().get("groups").get(0).get("panic").asBoolean()).isTrue();
        }
    }

    @Test
    void aListenerRemovedByAReloadWithASessionOpenStaysInStatsAndMetricsUntilItEnds() throws Exception {
        try (AdminRig rig = new AdminRig(1).start()) {
            try (Socket session = rig.connect()) {
                assertThat(AdminRig.greeting(session)).isEqualTo("s0");
                rig.lb.reload(rig.lb.config().withListeners(List.of(new dev.niolb.config.ListenerConfig("back",
                    dev.niolb.config.Protocol.TCP, new java.net.InetSocketAddress("127.0.0.1", 0), "g",
                    dev.niolb.config.TcpOptions.DEFAULTS))));

                final JsonNode stats = rig.stats();
                assertThat(stats.get("listeners")).extracting(l -> l.get("name").asText()).containsExactly("back");
                assertThat(stats.get("retiring_listeners")).singleElement().satisfies(l -> {
                    assertThat(l.get("name").asText()).isEqualTo("front");
                    assertThat(l.get("active").asLong()).isEqualTo(1);
                    assertThat(l.get("accepted").asLong()).isEqualTo(1);
                });
                assertThat(sample(rig.metrics(), "niolb_listener_active_connections", "listener=\"front\""))
                    .isEqualTo(1.0);
                assertThat(rig.http.get("/api/stats").body()).contains("\"retiring_listeners\"");
            }
            Await.until(() -> rig.stats().get("retiring_listeners").isEmpty(), 10_000);
        }
    }

    @Test
    void aTcpListenerAddedAgainUnderItsNameCountsOnWhereTheRemovedOneLeftOffItsSessionsIncluded() throws Exception {
        try (AdminRig rig = new AdminRig(1).start()) {
            final dev.niolb.config.ListenerConfig front = rig.lb.config().listeners().getFirst();
            final dev.niolb.config.ListenerConfig back = new dev.niolb.config.ListenerConfig("back",
                dev.niolb.config.Protocol.TCP, new java.net.InetSocketAddress("127.0.0.1", 0), "g",
                dev.niolb.config.TcpOptions.DEFAULTS);
            try (Socket session = rig.connect()) {
                assertThat(AdminRig.greeting(session)).isEqualTo("s0");
                rig.lb.reload(rig.lb.config().withListeners(List.of(back)));
                assertThat(front.bind().getPort()).as("bound afresh on a port of its own").isZero();
                rig.lb.reload(rig.lb.config().withListeners(List.of(back, front)));

                final JsonNode stats = rig.stats();
                assertThat(stats.get("retiring_listeners")).as("counted under the new one").isEmpty();
                assertThat(stats.get("listeners")).filteredOn(l -> l.get("name").asText().equals("front"))
                    .singleElement().satisfies(l -> {
                        assertThat(l.get("accepted").asLong()).as("not back to 0").isEqualTo(1);
                        assertThat(l.get("active").asLong()).as("the old listener's session").isEqualTo(1);
                    });
                assertThat(sample(rig.metrics(), "niolb_listener_accepted_total", "listener=\"front\""))
                    .isEqualTo(1.0);
                assertThat(sample(rig.metrics(), "niolb_listener_active_connections", "listener=\"front\""))
                    .isEqualTo(1.0);
            }
            // its ending is counted under the name too, not lost with the retired listener
            Await.until(() -> sample(rig.metrics(), "niolb_listener_active_connections", "listener=\"front\"") == 0,
                10_000);
            assertThat(sample(rig.metrics(), "niolb_listener_sessions_ended_total", "listener=\"front\"",
                "reason=\"client_close\"")).isEqualTo(1.0);
        }
    }

    @Test
    void aTcpListenerMovedToAnotherAddressUnderItsNameKeepsItsCounts() throws Exception {
        try (AdminRig rig = new AdminRig(1).start()) {
            final dev.niolb.config.ListenerConfig front = rig.lb.config().listeners().getFirst();
            try (Socket session = rig.connect()) {
                assertThat(AdminRig.greeting(session)).isEqualTo("s0");
                rig.lb.reload(rig.lb.config().withListeners(List.of(new dev.niolb.config.ListenerConfig(front.name(),
                    front.protocol(), new java.net.InetSocketAddress("127.0.0.2", 0), front.group(), front.tcp(),
                    front.udp(), front.acceptProxy(), front.limits()))));

                final JsonNode stats = rig.stats();
                assertThat(stats.get("listeners")).singleElement().satisfies(l -> {
                    assertThat(l.get("address").asText()).startsWith("127.0.0.2:");
                    assertThat(l.get("accepted").asLong()).isEqualTo(1);
                    assertThat(l.get("active").asLong()).isEqualTo(1);
                });
                assertThat(stats.get("retiring_listeners")).isEmpty();
            }
        }
    }

    @Test
    void aUdpListenerMovedToAnotherAddressUnderItsNameKeepsItsCountsItsLiveFlowsIncluded() throws Exception {
        final UdpEchoServer echo = engine.track(new UdpEchoServer("e"));
        final ListenerConfig dns = new ListenerConfig("dns", Protocol.UDP, new InetSocketAddress("127.0.0.1", 0), "g",
            TcpOptions.DEFAULTS, UdpOptions.DEFAULTS);
        final LoadBalancer lb = engine.start(Config.single(1, Duration.ofSeconds(5), dns,
                new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("u0", echo.address(), 1))))
            .withAdmin(AdminConfig.on(new InetSocketAddress("127.0.0.1", 0))));
        final Http http = new Http(lb.adminAddress());
        try (UdpClient client = new UdpClient(lb.localAddress("dns"))) {
            client.send("ping");
            assertThat(client.receiveText(2000)).isEqualTo("e:ping");

            lb.reload(lb.config().withListeners(List.of(new ListenerConfig("dns", Protocol.UDP,
                new InetSocketAddress("127.0.0.2", 0), "g", TcpOptions.DEFAULTS, UdpOptions.DEFAULTS))));
            final JsonNode stats = AdminRig.JSON.readTree(http.get("/api/stats").body());
            assertThat(stats.get("listeners")).singleElement().satisfies(l -> {
                assertThat(l.get("address").asText()).startsWith("127.0.0.2:");
                assertThat(l.get("accepted").asLong()).as("not back to 0").isEqualTo(1);
                assertThat(l.get("active").asLong()).as("the old address's live flow").isEqualTo(1);
                assertThat(l.get("datagrams_in").asLong()).isEqualTo(1);
            });
            assertThat(stats.get("retiring_listeners")).as("counted under the moved one").isEmpty();

            client.send("pong"); // the old address's flow goes on, and what it moves counts under the name
            assertThat(client.receiveText(2000)).isEqualTo("e:pong");
            final String metrics = http.get("/metrics").body();
            assertThat(sample(metrics, "niolb_listener_datagrams_total", "listener=\"dns\"", "direction=\"in\""))
                .isEqualTo(2.0);
            assertThat(sample(metrics, "niolb_listener_active_connections", "listener=\"dns\"")).isEqualTo(1.0);
        }
    }

    @Test
    void aGroupRemovedByAReloadWithASessionOpenStaysInStatsAndMetricsUntilItEnds() throws Exception {
        try (AdminRig rig = new AdminRig(1).start()) {
            try (Socket session = rig.connect()) {
                assertThat(AdminRig.greeting(session)).isEqualTo("s0");
                final dev.niolb.config.Config running = rig.lb.config();
                rig.lb.reload(new dev.niolb.config.Config(running.threads(), running.grace(),
                    List.of(new dev.niolb.config.ListenerConfig("back", dev.niolb.config.Protocol.TCP,
                        new java.net.InetSocketAddress("127.0.0.1", 0), "h", dev.niolb.config.TcpOptions.DEFAULTS)),
                    List.of(new dev.niolb.config.TargetGroupConfig("h", dev.niolb.config.Algorithm.ROUNDROBIN,
                        List.of(new ServerConfig("t0", rig.servers.get(0).address(), 1)))))
                    .withAdmin(running.admin()).withTransport(running.transport()));

                final JsonNode stats = rig.stats();
                assertThat(stats.get("groups")).extracting(g -> g.get("name").asText()).containsExactly("h");
                assertThat(stats.get("retiring_groups")).singleElement().satisfies(g -> {
                    assertThat(g.get("name").asText()).isEqualTo("g");
                    assertThat(g.get("servers")).isEmpty();
                    assertThat(g.get("retiring")).singleElement()
                        .satisfies(v -> assertThat(v.get("active").asLong()).isEqualTo(1));
                });
                assertThat(sample(rig.metrics(), "niolb_server_active_connections", "group=\"g\",server=\"s0\""))
                    .isEqualTo(1.0);
            }
            Await.until(() -> rig.stats().get("retiring_groups").isEmpty(), 10_000);
        }
    }

    @Test
    void aDrainSetOnADownServerShowsAsItsOperatorModeBesideItsHealth() throws Exception {
        try (AdminRig rig = new AdminRig(2).start()) {
            rig.lb.group("g").snapshot().server("s0").health(false, "test: checks fail");
            rig.lb.setState("g", "s0", dev.niolb.backend.ServerState.DRAIN);

            final JsonNode s0 = rig.stats().get("groups").get(0).get("servers").get(0);
            assertThat(s0.get("state").asText()).isEqualTo("down");
            assertThat(s0.get("operator_mode").asText()).as("shown nowhere but in the state file").isEqualTo("drain");
            assertThat(s0.get("health").asText()).isEqualTo("down");
            assertThat(s0.get("agent_mode").asText()).isEqualTo("up");
        }
    }

    @Test
    void aServerSaysWhyAndForHowLongItIsInItsState() throws Exception {
        try (AdminRig rig = new AdminRig(2).start()) {
            final JsonNode before = rig.stats().get("groups").get(0).get("servers").get(0);
            assertThat(before.get("state_reason").isNull()).as("no change yet").isTrue();

            rig.lb.group("g").snapshot().server("s0").health(false, "2 checks failed: connection refused");

            final JsonNode s0 = rig.stats().get("groups").get(0).get("servers").get(0);
            assertThat(s0.get("state").asText()).isEqualTo("down");
            assertThat(s0.get("state_reason").asText()).isEqualTo("2 checks failed: connection refused");
            assertThat(s0.get("state_for_s").asLong()).as("it just changed").isBetween(0L, 5L);
        }
    }

    @Test
    void aRemovedServerWithASessionOpenStaysInStatsAndMetricsUntilItEnds() throws Exception {
        try (AdminRig rig = new AdminRig(2).start()) {
            Socket onS0 = rig.connect();
            while (!AdminRig.greeting(onS0).equals("s0")) {
                onS0.close();
                onS0 = rig.connect();
            }
            try (Socket session = onS0) {
                rig.lb.removeServer("g", "s0");

                final JsonNode group = rig.stats().get("groups").get(0);
                assertThat(group.get("servers")).extracting(v -> v.get("name").asText()).containsExactly("s1");
                assertThat(group.get("retiring")).singleElement().satisfies(v -> {
                    assertThat(v.get("name").asText()).isEqualTo("s0");
                    assertThat(v.get("active").asLong()).isEqualTo(1);
                    assertThat(v.get("state").asText()).isEqualTo("drain");
                });
                final String metrics = rig.metrics();
                assertThat(sample(metrics, "niolb_group_servers_retiring", "group=\"g\"")).isEqualTo(1.0);
                assertThat(sample(metrics, "niolb_group_servers", "group=\"g\"")).isEqualTo(1.0);
                assertThat(sample(metrics, "niolb_server_active_connections", "server=\"s0\"")).isEqualTo(1.0);

                // s0 again, at s1's address: the member's series from 0, the removed one's beside it, marked
                final String oldAddress = dev.niolb.config.Endpoint.hostPort(rig.servers.get(0).address());
                rig.lb.addServer("g", new ServerConfig("s0", rig.servers.get(1).address(), 1));
                final String both = rig.metrics();
                assertThat(sample(both, "niolb_server_active_connections", "server=\"s0\"}")).isZero();
                assertThat(sample(both, "niolb_server_active_connections", "server=\"s0\",retiring=\"true\",address=\""
                    + oldAddress + "\"}")).isEqualTo(1.0);
                assertThat(sample(both, "niolb_server_connections_total", "retiring=\"true\"")).isEqualTo(1.0);

                assertThat(rig.stats().get("groups").get(0).get("retiring")).hasSize(1);
                session.getOutputStream().write(AdminRig.bytes("ping\n"));
                assertThat(TcpServers.readAll(session.getInputStream(), 5)).as("the removed server's session relays")
                    .isEqualTo(AdminRig.bytes("ping\n"));

                // the new s0 taken out too, a session open on it: two removed s0s, no member: two series still
                rig.lb.server("g", "s1").operatorMode(dev.niolb.backend.ServerState.MAINT, "test");
                try (Socket onNewS0 = rig.connect()) {
                    AdminRig.greeting(onNewS0);
                    rig.lb.removeServer("g", "s0");
                    final String twoRemoved = rig.metrics();
                    final String newAddress = dev.niolb.config.Endpoint.hostPort(rig.servers.get(1).address());
                    for (final String at : List.of(oldAddress, newAddress)) {
                        assertThat(sample(twoRemoved, "niolb_server_active_connections",
                            "server=\"s0\",retiring=\"true\",address=\"" + at + "\"}")).as(at).isEqualTo(1.0);
                    }
                }
            }
            Await.until(() -> rig.stats().get("groups").get(0).get("retiring").isEmpty(), 10_000);
        }
    }
}
