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

/** Servers by name when one of a name's two queries fails and the other answers. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PartialDnsAnswerTest {
    @RegisterExtension
    final EngineRig rig = new EngineRig(TestedTransport.NIO);

    private LoadBalancer start(final ScriptedDnsServer dns) throws Exception {
        final DnsConfig resolver = DnsConfig.DEFAULTS.withResolver(dns.address())
            .withTtl(Duration.ofMillis(100), Duration.ofMillis(500)).withTimeout(Duration.ofMillis(300));
        return rig.start(new Config(1, Duration.ofSeconds(1),
            List.of(new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g",
                TcpOptions.DEFAULTS)),
            List.of(new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(), HealthCheckConfig.DEFAULTS, 0,
                List.of(DnsServerSpec.of("api.test", 8080)))), resolver));
    }

    private static List<String> addresses(final LoadBalancer lb) {
        return Arrays.stream(lb.group("g").snapshot().servers())
            .map(s -> s.address().getAddress().getHostAddress()).sorted().toList();
    }

    @Test
    void aFailedAaaaQueryKeepsTheIpv6ServersWhileTheAAnswerStillUpdatesTheIpv4Ones() throws Exception {
        try (ScriptedDnsServer dns = rig.track(new ScriptedDnsServer().answer("127.0.0.1", "::1"))) {
            final LoadBalancer lb = start(dns);
            Await.until(() -> addresses(lb).size() == 2, 5000);

            dns.refuse(false, true).answer("127.0.0.2"); // AAAA refused from now on; A moves to .2
            Await.until(() -> addresses(lb).contains("127.0.0.2"), 5000);
            final long lookups = lb.dnsLookups().getFirst().lookups();
            Await.until(() -> lb.dnsLookups().getFirst().lookups() >= lookups + 2, 5000);

            assertThat(addresses(lb)).as("one refused AAAA query does not drop the IPv6 server")
                .containsExactly("0:0:0:0:0:0:0:1", "127.0.0.2");
            assertThat(Arrays.stream(lb.group("g").snapshot().servers()).map(Server::name))
                .hasSize(2);
        }
    }
}
