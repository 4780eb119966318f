package dev.niolb.admin;

import dev.niolb.LoadBalancer;
import dev.niolb.backend.ServerState;
import dev.niolb.config.AdminConfig;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.EngineRig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The metrics-only listener ({@code admin: {metrics-address: …}}): {@code GET /metrics} and {@code GET /ready},
 * no token, nothing that writes, whether the admin API runs or not.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MetricsAddressTest {
    private static final String HOST = "127.0.0.1";

    @RegisterExtension
    final EngineRig engine = new EngineRig();

    /** An engine in front of one greeting server {@code s0}, with {@code admin} as its admin settings. */
    private LoadBalancer start(final AdminConfig admin) throws IOException {
        final EchoServer s0 = engine.track(new EchoServer("s0"));
        return engine.start(Config.single(1, Duration.ofSeconds(1),
                new ListenerConfig("front", Protocol.TCP, new InetSocketAddress(HOST, 0), "g", TcpOptions.DEFAULTS),
                new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s0", s0.address(), 1)),
                    HealthCheckConfig.DEFAULTS, 0))
            .withAdmin(admin));
    }

    private LoadBalancer startWithTheAdminApiOff() throws IOException {
        return start(AdminConfig.NONE.withMetricsAddress(new InetSocketAddress(HOST, 0)));
    }

    @Test
    void theMetricsAddressServesMetricsAndReadyWhileTheAdminApiIsOff() throws Exception {
        final LoadBalancer lb = startWithTheAdminApiOff();
        assertThat(lb.adminAddress()).isNull();

        final RawHttp.Answer metrics = RawHttp.get(lb.metricsAddress(), "/metrics", HOST);
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.headers().get("content-type")).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
        assertThat(AdminRig.sample(metrics.body(), "niolb_group_servers_up", "group=\"g\"")).isEqualTo(1.0);

        final RawHttp.Answer ready = RawHttp.get(lb.metricsAddress(), "/ready", HOST);
        assertThat(ready.status()).isEqualTo(200);
        assertThat(ready.body()).contains("\"ready\":true");
        assertThat(RawHttp.send(lb.metricsAddress(), "HEAD", "/metrics", HOST, null).status()).isEqualTo(200);
    }

    @Test
    void everyWriteIsRefusedWith405AndChangesNothing() throws Exception {
        final LoadBalancer lb = startWithTheAdminApiOff();
        final InetSocketAddress at = lb.metricsAddress();

        assertThat(RawHttp.send(at, "POST", "/reload", HOST, "").status()).isEqualTo(405);
        final RawHttp.Answer drain = RawHttp.send(at, "POST", "/api/groups/g/servers/s0", HOST, "state=drain");
        assertThat(drain.status()).isEqualTo(405);
        assertThat(drain.headers().get("allow")).isEqualTo("GET, HEAD");
        assertThat(RawHttp.send(at, "DELETE", "/api/groups/g/servers/s0", HOST, null).status()).isEqualTo(405);
        assertThat(RawHttp.send(at, "POST", "/api/groups/g/servers", HOST, "server=127.0.0.1:9").status())
            .isEqualTo(405);
        assertThat(RawHttp.send(at, "POST", "/metrics", HOST, "").status()).isEqualTo(405);

        assertThat(lb.group("g").snapshot().servers()).hasSize(1);
        assertThat(lb.group("g").snapshot().server("s0").state()).isEqualTo(ServerState.UP);
        assertThat(lb.reloads().appliedCount() + lb.reloads().refusedCount()).isZero();
    }

    @Test
    void everyOtherPathIs404() throws Exception {
        final LoadBalancer lb = startWithTheAdminApiOff();

        for (final String path : List.of("/", "/api/stats", "/api/connections", "/api/groups/g/servers/s0", "/live",
            "/metrics/")) {
            final RawHttp.Answer answer = RawHttp.get(lb.metricsAddress(), path, HOST);
            assertThat(answer.status()).as(path).isEqualTo(404);
            assertThat(answer.body()).as(path).contains("it serves GET /metrics and GET /ready");
        }
    }

    @Test
    void theHostAllowListAppliesAsOnTheAdminApi() throws Exception {
        final LoadBalancer lb = start(AdminConfig.NONE.withMetricsAddress(new InetSocketAddress(HOST, 0))
            .withAllowedHosts(List.of("metrics.example.com")));

        assertThat(RawHttp.get(lb.metricsAddress(), "/metrics", "rebound.example.net").status()).isEqualTo(403);
        assertThat(RawHttp.get(lb.metricsAddress(), "/metrics", "metrics.example.com:9").status()).isEqualTo(200);
    }

    @Test
    void itRunsBesideTheAdminApiWhichKeepsItsWrites() throws Exception {
        final LoadBalancer lb = start(AdminConfig.on(new InetSocketAddress(HOST, 0))
            .withMetricsAddress(new InetSocketAddress(HOST, 0)));

        assertThat(lb.metricsAddress()).isNotEqualTo(lb.adminAddress());
        assertThat(RawHttp.send(lb.metricsAddress(), "POST", "/api/groups/g/servers/s0", HOST, "state=drain").status())
            .isEqualTo(405);
        assertThat(RawHttp.send(lb.adminAddress(), "POST", "/api/groups/g/servers/s0", HOST, "state=drain").status())
            .isEqualTo(200);
        assertThat(lb.group("g").snapshot().server("s0").state()).isEqualTo(ServerState.DRAIN);
    }

    @Test
    void aMetricsAddressInUseFailsTheStartNamingIt() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName(HOST))) {
            final InetSocketAddress busy = new InetSocketAddress(HOST, taken.getLocalPort());
            assertThatThrownBy(() -> start(AdminConfig.NONE.withMetricsAddress(busy)))
                .isInstanceOf(BindException.class)
                .hasMessageStartingWith("cannot listen on metrics address " + HOST + ":" + busy.getPort() + ": ");
        }
    }

    @Test
    void theMetricsAddressStopsWithTheEngine() throws Exception {
        final LoadBalancer lb = startWithTheAdminApiOff();
        final InetSocketAddress at = lb.metricsAddress();

        lb.stop(Duration.ZERO);

        assertThatThrownBy(() -> RawHttp.get(at, "/metrics", HOST)).isInstanceOf(IOException.class);
    }
}
