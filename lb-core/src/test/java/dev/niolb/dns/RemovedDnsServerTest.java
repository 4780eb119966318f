package dev.niolb.dns;

import dev.niolb.LoadBalancer;
import dev.niolb.backend.Server;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.DnsConfig;
import dev.niolb.config.DnsServerSpec;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.testing.Await;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.ScriptedDnsServer;
import dev.niolb.testing.TestedTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A server DNS brought in that the operator removes (DELETE /api/groups/g/servers/s). */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RemovedDnsServerTest {
    @RegisterExtension
    final EngineRig rig = new EngineRig(TestedTransport.NIO);

    @Test
    void aServerTheOperatorRemovedStaysOutUntilDnsDropsItAndBringsItBack() throws Exception {
        try (ScriptedDnsServer dns = rig.track(new ScriptedDnsServer().answer("127.0.0.1", "127.0.0.2"))) {
            final LoadBalancer lb = rig.start(new Config(1, Duration.ofSeconds(1),
                List.of(new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g",
                    TcpOptions.DEFAULTS)),
                List.of(new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(), HealthCheckConfig.DEFAULTS, 0,
                    List.of(DnsServerSpec.of("api.test", 8080)))),
                DnsConfig.DEFAULTS.withResolver(dns.address()).withTtl(Duration.ofMillis(100), Duration.ofMillis(500))
                    .withTimeout(Duration.ofMillis(300))));
            Await.until(() -> addresses(lb).size() == 2, 5000);
            final String second = Arrays.stream(lb.group("g").snapshot().servers())
                .filter(s -> s.address().getAddress().getHostAddress().equals("127.0.0.2"))
                .map(Server::name).findFirst().orElseThrow();

            lb.removeServer("g", second);
            awaitLookups(lb, 3);
            assertThat(addresses(lb)).as("removed by the operator, still in DNS").containsExactly("127.0.0.1");

            dns.answer("127.0.0.1");
            awaitLookups(lb, 2);
            dns.answer("127.0.0.1", "127.0.0.2");
            Await.until(() -> addresses(lb).size() == 2, 5000);
            assertThat(addresses(lb)).as("back in DNS after it left it").containsExactly("127.0.0.1", "127.0.0.2");
        }
    }

    private static void awaitLookups(final LoadBalancer lb, final int more) throws Exception {
        final long lookups = lb.dnsLookups().getFirst().lookups();
        Await.until(() -> lb.dnsLookups().getFirst().lookups() >= lookups + more, 5000);
    }

    private static List<String> addresses(final LoadBalancer lb) {
        return Arrays.stream(lb.group("g").snapshot().servers())
            .map(s -> s.address().getAddress().getHostAddress()).sorted().toList();
    }
}
