package dev.niolb.cli;

import dev.niolb.admission.CidrSet;
import dev.niolb.backend.ServerState;
import dev.niolb.backend.TargetGroup;
import dev.niolb.config.AcceptProxy;
import dev.niolb.config.Algorithm;
import dev.niolb.config.BusyPoll;
import dev.niolb.config.CheckSpec;
import dev.niolb.config.Config;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class StartLineTest {

    @Test
    void theStartUpLineNamesBoundListenersServersWeightsAlgorithmAndThreads() {
        final Config config = new Config(4, Duration.ofSeconds(30),
            List.of(new ListenerConfig(new InetSocketAddress("127.0.0.1", 0), "default", TcpOptions.DEFAULTS),
                new ListenerConfig(new InetSocketAddress("127.0.0.2", 9000), "default", TcpOptions.DEFAULTS)),
            List.of(new TargetGroupConfig("default", Algorithm.WEIGHTED, List.of(
                new ServerConfig(new InetSocketAddress("10.0.0.1", 80), 1),
                new ServerConfig("web2", new InetSocketAddress("10.0.0.2", 80), 3)))));
        final List<InetSocketAddress> bound =
            List.of(new InetSocketAddress("127.0.0.1", 40123), new InetSocketAddress("127.0.0.2", 9000));

        assertThat(Foreground.startLine(config, bound, "nio")).isEqualTo("listening on tcp://127.0.0.1:40123, tcp://127.0.0.2:9000;"
            + " servers 10.0.0.1:80 weight 1, web2 (10.0.0.2:80) weight 3; balance weighted; nio transport, 4 threads");
    }

    @Test
    void aBigConfigsStartLineNamesTheFirstListenersGroupsAndServersAndCountsTheRest() {
        final List<ListenerConfig> listeners = new java.util.ArrayList<>();
        final List<TargetGroupConfig> groups = new java.util.ArrayList<>();
        final List<ServerConfig> many = new java.util.ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            many.add(new ServerConfig(new InetSocketAddress("10.0." + (i >> 8) + "." + (i & 255), 80), 1));
        }
        for (int i = 0; i < 30; i++) {
            listeners.add(new ListenerConfig(new InetSocketAddress("127.0.0.1", 8000 + i), "g" + i, TcpOptions.DEFAULTS));
            groups.add(new TargetGroupConfig("g" + i, Algorithm.ROUNDROBIN, i == 0 ? many
                : List.of(new ServerConfig(new InetSocketAddress("10.1.0." + i, 80), 1))));
        }
        final Config config = new Config(1, Duration.ofSeconds(30), listeners, groups);

        final String line = Foreground.startLine(config, List.of(), "epoll");

        assertThat(line).startsWith("listening on tcp://127.0.0.1:8000, ").contains("tcp://127.0.0.1:8019 and 10 more listeners; ")
            .contains("; group g0 servers 10.0.0.0:80 weight 1, ").contains("10.0.0.19:80 weight 1 and 4980 more (5000 in all); ")
            .doesNotContain("10.0.0.20:80").contains("; group g19 servers 10.1.0.19:80 weight 1; balance roundrobin; and 10 more "
                + "groups; epoll transport, 1 thread").doesNotContain("group g20");
        assertThat(line.length()).isLessThan(4000);
    }

    @Test
    void aServerTheStateFileLeftDrainedOrReweightedIsShownAsItIsWithTheConfigsWeightBeside() {
        final TargetGroupConfig web = new TargetGroupConfig("default", Algorithm.WEIGHTED, List.of(
            new ServerConfig("s1", new InetSocketAddress("10.0.0.1", 80), 1),
            new ServerConfig("s2", new InetSocketAddress("10.0.0.2", 80), 3)));
        final Config config = Config.single(1, Duration.ofSeconds(30),
            new ListenerConfig(new InetSocketAddress("127.0.0.1", 8080), "default", TcpOptions.DEFAULTS), web);
        final TargetGroup live = new TargetGroup(web, 1);
        live.snapshot().server("s1").operatorMode(ServerState.DRAIN, "test");
        live.snapshot().server("s1").weight(5);

        assertThat(Foreground.startLine(config, List.of(new InetSocketAddress("127.0.0.1", 8080)), "epoll",
            (group, server) -> live.snapshot().server(server)))
            .contains("servers s1 (10.0.0.1:80) weight 5 (config 1) drain, s2 (10.0.0.2:80) weight 3; balance");
    }

    @Test
    void theStartUpLineNamesBusyPollingWhenItIsOn() {
        final Config config = Config.single(2, Duration.ofSeconds(30),
            new ListenerConfig(new InetSocketAddress("127.0.0.1", 8080), "default", TcpOptions.DEFAULTS),
            new TargetGroupConfig("default", Algorithm.ROUNDROBIN,
                List.of(new ServerConfig(new InetSocketAddress("10.0.0.1", 80), 1))));
        final List<InetSocketAddress> bound = List.of(new InetSocketAddress("127.0.0.1", 8080));

        assertThat(Foreground.startLine(config.withBusyPoll(BusyPoll.parse("50us")), bound, "epoll"))
            .endsWith("; epoll transport, 2 threads, busy-poll 50us");
        assertThat(Foreground.startLine(config, bound, "epoll")).endsWith("; epoll transport, 2 threads");
    }

    @Test
    void theStartUpLineNamesBackupsAndTheChecks() {
        final Config config = new Config(1, Duration.ofSeconds(30),
            List.of(new ListenerConfig(new InetSocketAddress("127.0.0.1", 8080), "default", TcpOptions.DEFAULTS)),
            List.of(new TargetGroupConfig("default", Algorithm.ROUNDROBIN, List.of(
                new ServerConfig(new InetSocketAddress("10.0.0.1", 80), 1),
                new ServerConfig(null, new InetSocketAddress("10.0.0.2", 80), 1, true, 0)),
                HealthCheckConfig.DEFAULTS.withChecks(List.of(new CheckSpec.Http("/status"), new CheckSpec.Agent(9999))))));

        assertThat(Foreground.startLine(config, List.of(new InetSocketAddress("127.0.0.1", 8080)), "nio"))
            .isEqualTo("listening on tcp://127.0.0.1:8080; servers 10.0.0.1:80 weight 1, 10.0.0.2:80 weight 1 backup;"
                + " balance roundrobin; check http:/status and agent:9999 every 2s; nio transport, 1 thread");
    }

    @Test
    void theStartUpLineSaysAnEmptyTrustedListTrustsNobody() {
        final Config config = new Config(1, Duration.ofSeconds(30),
            List.of(new ListenerConfig(new InetSocketAddress("127.0.0.1", 8080), "default", TcpOptions.DEFAULTS)
                .withAcceptProxy(AcceptProxy.from(CidrSet.EMPTY))),
            List.of(new TargetGroupConfig("default", Algorithm.ROUNDROBIN, List.of(ServerConfig.parse("10.0.0.1:80")))));

        assertThat(Foreground.startLine(config, List.of(), "nio")).startsWith("listening on tcp://127.0.0.1:8080"
            + " accept-proxy from nobody (accept-proxy-from is empty: every peer is a direct client); servers");
    }

    @Test
    void theStartUpLineNamesThePROXYProtocolSettings() {
        final Config config = new Config(1, Duration.ofSeconds(30),
            List.of(new ListenerConfig(new InetSocketAddress("127.0.0.1", 8080), "default", TcpOptions.DEFAULTS)
                    .withAcceptProxy(AcceptProxy.from(CidrSet.parse(List.of("10.0.0.0/8", "192.0.2.7")))),
                new ListenerConfig(new InetSocketAddress("127.0.0.1", 8081), "default", TcpOptions.DEFAULTS)
                    .withAcceptProxy(AcceptProxy.fromAnyPeer())),
            List.of(new TargetGroupConfig("default", Algorithm.ROUNDROBIN, List.of(
                ServerConfig.parse("10.0.0.1:80,send-proxy"), ServerConfig.parse("10.0.0.2:80,send-proxy-v2")))));

        assertThat(Foreground.startLine(config, List.of(), "nio"))
            .isEqualTo("listening on tcp://127.0.0.1:8080 accept-proxy from 10.0.0.0/8 192.0.2.7/32, tcp://127.0.0.1:8081"
                + " accept-proxy; servers 10.0.0.1:80 weight 1 send-proxy, 10.0.0.2:80 weight 1 send-proxy-v2;"
                + " balance roundrobin; nio transport, 1 thread");
    }
}
