package dev.niolb.dns;

import dev.niolb.LoadBalancer;
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
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** DNS discovery counts its lookups and their failures per name, for {@code /metrics}. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@EveryTransport
class DnsLookupCountsTest {
    @RegisterExtension
    final EngineRig rig;

    DnsLookupCountsTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    @Test
    void lookupsToAResolverThatNeverAnswersAreCountedAsFailures() throws Exception {
        // a resolver that takes every query and answers none: each lookup times out
        try (DatagramSocket silent = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            final DnsConfig dns = DnsConfig.DEFAULTS.withResolver((InetSocketAddress) silent.getLocalSocketAddress())
                .withTtl(Duration.ofMillis(100), Duration.ofMillis(500)).withTimeout(Duration.ofMillis(100));
            final LoadBalancer lb = rig.start(new Config(1, Duration.ofSeconds(1),
                List.of(new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g",
                    TcpOptions.DEFAULTS)),
                List.of(new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(), HealthCheckConfig.DEFAULTS, 0,
                    List.of(DnsServerSpec.of("api.test", 8080)))), dns));
            Await.until(() -> lb.dnsLookups().getFirst().failures() >= 3, 10_000);
            final DnsDiscovery.LookupStats s = lb.dnsLookups().getFirst();
            assertThat(s.group()).isEqualTo("g");
            assertThat(s.name()).isEqualTo(DnsServerSpec.of("api.test", 8080).name());
            assertThat(s.failing()).isTrue();
            assertThat(s.lookups()).isGreaterThanOrEqualTo(s.failures());
            assertThat(lb.dnsLookups()).hasSize(1);
        }
    }
}
