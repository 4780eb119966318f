package dev.niolb;

import dev.niolb.backend.OperatorStates;
import dev.niolb.backend.Server;
import dev.niolb.backend.ServerState;
import dev.niolb.config.Algorithm;
import dev.niolb.config.CheckSpec;
import dev.niolb.config.Config;
import dev.niolb.config.DnsConfig;
import dev.niolb.config.DnsServerSpec;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.testing.Await;
import dev.niolb.testing.ScriptedDnsServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** What a niolb taken over hands its successor besides its sockets, and what the successor makes of it. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HandedOverStateTest {
    @Test
    void theTextReadsBackAndLinesOfAnotherVersionAreLeftOut() {
        final HandedOverState state = new HandedOverState(
            List.of(new HandedOverState.ServerHealth("g", "web 1", new InetSocketAddress("127.0.0.1", 8080), false,
                    null, 100),
                new HandedOverState.ServerHealth("g", "web2", new InetSocketAddress("::1", 8081), true,
                    ServerState.DRAIN, 50)),
            List.of(new HandedOverState.DnsMembers("g", "api.test:80", "api.test:80", List.of(
                new ServerConfig("api.test:80", new InetSocketAddress("127.0.0.7", 80), 3, true, 0)))));

        final HandedOverState read = HandedOverState.decode(state.encode() + "future\tsomething\nserver\tbroken\n");

        assertThat(read.servers()).isEqualTo(state.servers());
        assertThat(read.dns()).hasSize(1);
        assertThat(read.dns().getFirst().servers()).singleElement().satisfies(s -> {
            assertThat(s.address()).isEqualTo(new InetSocketAddress("127.0.0.7", 80));
            assertThat(s.weight()).isEqualTo(3);
            assertThat(s.backup()).isTrue();
        });
    }

    @Test
    void aSuccessorStartsWithTheServersItsPredecessorHeldDownAndItsDnsAnswersThoughItsResolverIsSilent()
        throws Exception {
        final int dead;
        try (ServerSocket probe = new ServerSocket(0)) {
            dead = probe.getLocalPort(); // closed once probed: connects to it are refused
        }
        final ScriptedDnsServer dns = new ScriptedDnsServer().answer("127.0.0.1", "127.0.0.2");
        LoadBalancer old = null;
        LoadBalancer successor = null;
        try {
            old = LoadBalancer.start(config(dns, Duration.ofMillis(100), dead));
            final LoadBalancer running = old;
            Await.until(() -> running.group("g").snapshot().servers().length == 3
                && running.group("g").snapshot().server("dead").state() == ServerState.DOWN, 10_000);
            final String handed = HandedOverState.of(old).encode();
            dns.close(); // the successor's lookups get no answer

            // checks every 30 s: its first comes within a second, so what it starts with is what it was handed
            successor = LoadBalancer.start(config(dns, Duration.ofSeconds(30), dead), OperatorStates.NONE, () -> false,
                HandedOverState.decode(handed));

            final Server[] servers = successor.group("g").snapshot().servers();
            assertThat(Arrays.stream(servers).map(s -> s.address().getAddress().getHostAddress()).sorted())
                .as("the DNS name's servers, as the old niolb resolved them").contains("127.0.0.1", "127.0.0.2");
            assertThat(successor.group("g").snapshot().server("dead").state()).as("held DOWN by the old one's checks")
                .isEqualTo(ServerState.DOWN);
        } finally {
            if (successor != null) {
                successor.stop(Duration.ZERO);
            }
            if (old != null) {
                old.stop(Duration.ZERO);
            }
            dns.close();
        }
    }

    @Test
    void aDnsNameTheSuccessorPointsAtAnotherTargetIsNotSeededWithTheOldAnswer() throws Exception {
        final ScriptedDnsServer dns = new ScriptedDnsServer(); // answers nothing: lookups time out
        final HandedOverState handed = new HandedOverState(List.of(), List.of(new HandedOverState.DnsMembers("g",
            "svc", "svc.test:8080", List.of(new ServerConfig("svc", new InetSocketAddress("127.0.0.2", 8080), 1)))));
        dns.close();
        final LoadBalancer successor = LoadBalancer.start(new Config(1, Duration.ofSeconds(1),
            List.of(new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g",
                TcpOptions.DEFAULTS)),
            List.of(new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(), HealthCheckConfig.DEFAULTS, 0,
                List.of(DnsServerSpec.parse("other.test:8080,name=svc")))),
            DnsConfig.DEFAULTS.withResolver(dns.address()).withTimeout(Duration.ofMillis(300))), OperatorStates.NONE,
            () -> false, handed);
        try {
            // the same name for another host: svc.test's address was seeded, and clients went there (session 34)
            assertThat(successor.group("g").snapshot().servers()).isEmpty();
        } finally {
            successor.stop(Duration.ZERO);
        }
    }

    @Test
    void healthOfAGroupTheSuccessorDoesNotHaveIsSaidNotCarriedOver() throws Exception {
        final HandedOverState handed = new HandedOverState(List.of(new HandedOverState.ServerHealth("old", "s",
            new InetSocketAddress("127.0.0.1", 9), false, null, 100)), List.of());
        try (dev.niolb.testing.LogCapture engine = dev.niolb.testing.LogCapture.of(LoadBalancer.class.getName())) {
            final LoadBalancer successor = LoadBalancer.start(Config.single(1, Duration.ofSeconds(1),
                new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g",
                    TcpOptions.DEFAULTS),
                new TargetGroupConfig("g", Algorithm.ROUNDROBIN,
                    List.of(new ServerConfig("s", new InetSocketAddress("127.0.0.1", 9), 1)))), OperatorStates.NONE,
                () -> false, handed);
            try {
                // the group renamed: dropped without a word (black-box testing, session 34)
                assertThat(engine.messages()).anyMatch(m -> m.startsWith("takeover: the health the niolb taken over "
                    + "had of servers of group old is not carried over"));
                assertThat(successor.group("g").snapshot().server("s").state()).isEqualTo(ServerState.UP);
            } finally {
                successor.stop(Duration.ZERO);
            }
        }
    }

    @Test
    void anAgentsWordIsNotCarriedIntoAGroupThatPollsNoAgent() throws Exception {
        final HandedOverState handed = new HandedOverState(List.of(new HandedOverState.ServerHealth("g", "s",
            new InetSocketAddress("127.0.0.1", 9), true, ServerState.MAINT, 10)), List.of());
        final LoadBalancer successor = LoadBalancer.start(Config.single(1, Duration.ofSeconds(1),
            new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN,
                List.of(new ServerConfig("s", new InetSocketAddress("127.0.0.1", 9), 1)))), OperatorStates.NONE,
            () -> false, handed);
        try {
            // nothing would ever clear it: no agent to say ready, and the operator's ready does not (session 34)
            final Server s = successor.group("g").snapshot().server("s");
            assertThat(s.state()).isEqualTo(ServerState.UP);
            assertThat(s.agentPercent()).isEqualTo(100);
        } finally {
            successor.stop(Duration.ZERO);
        }
    }

    @Test
    void manyServersHandedOverDownAreNamedTwentyAndCountedInOneLine() throws Exception {
        final List<ServerConfig> servers = new java.util.ArrayList<>();
        final List<HandedOverState.ServerHealth> down = new java.util.ArrayList<>();
        for (int i = 0; i < 30; i++) {
            final InetSocketAddress at = new InetSocketAddress("127.0.12." + (i + 1), 9);
            servers.add(new ServerConfig("s" + i, at, 1));
            down.add(new HandedOverState.ServerHealth("g", "s" + i, at, false, null, 100));
        }
        try (dev.niolb.testing.LogCapture health = dev.niolb.testing.LogCapture.of("dev.niolb.health");
             dev.niolb.testing.LogCapture engine = dev.niolb.testing.LogCapture.of(LoadBalancer.class.getName())) {
            final LoadBalancer successor = LoadBalancer.start(Config.single(1, Duration.ofSeconds(1),
                new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g",
                    TcpOptions.DEFAULTS),
                new TargetGroupConfig("g", Algorithm.ROUNDROBIN, servers)), OperatorStates.NONE, () -> false,
                new HandedOverState(down, List.of()));
            try {
                assertThat(Arrays.stream(successor.group("g").snapshot().servers()).map(Server::state))
                    .containsOnly(ServerState.DOWN);
                // a line each at 10,000 servers was 10,000 lines at every upgrade (black-box testing, session 34)
                assertThat(health.messages()).filteredOn(m -> m.contains("the niolb taken over had it DOWN"))
                    .hasSize(20);
                assertThat(engine.messages()).contains("takeover: 30 servers DOWN (the first 20 named above) and 0 "
                    + "agents' last words carried over from the niolb taken over");
            } finally {
                successor.stop(Duration.ZERO);
            }
        }
    }

    private static Config config(final ScriptedDnsServer dns, final Duration checkInterval, final int dead) {
        return new Config(1, Duration.ofSeconds(1),
            List.of(new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g",
                TcpOptions.DEFAULTS)),
            List.of(new TargetGroupConfig("g", Algorithm.ROUNDROBIN,
                List.of(new ServerConfig("dead", new InetSocketAddress("127.0.0.1", dead), 1)),
                HealthCheckConfig.DEFAULTS.withChecks(List.of(new CheckSpec.Tcp())).withInterval(checkInterval)
                    .withTimeout(Duration.ofMillis(500)).withFall(1), 0,
                List.of(DnsServerSpec.of("api.test", 8080)))),
            DnsConfig.DEFAULTS.withResolver(dns.address()).withTtl(Duration.ofMillis(100), Duration.ofMillis(500))
                .withTimeout(Duration.ofMillis(300)));
    }
}
