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
import dev.niolb.config.ServerConfig;
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
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A reload that changes the options of servers given by a DNS name. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DnsOptionsReloadTest {
    private static final DnsServerSpec API = DnsServerSpec.of("api.test", 8080);

    @RegisterExtension
    final EngineRig rig = new EngineRig(TestedTransport.NIO);

    @Test
    void aNewWeightAppliesToTheResolvedServersAtOnceWhileLookupsFail() throws Exception {
        try (ScriptedDnsServer dns = rig.track(new ScriptedDnsServer().answer("127.0.0.1"))) {
            final LoadBalancer lb = rig.start(config(dns, API));
            Await.until(() -> lb.group("g").snapshot().servers().length == 1, 5000);
            dns.refuse(true, true);
            Await.until(() -> lb.dnsLookups().getFirst().failing(), 5000);

            lb.reload(config(dns, API.withOptions(API.name(), new ServerConfig("options", DnsServerSpec.PLACEHOLDER, 5))));

            final Server server = lb.group("g").snapshot().servers()[0];
            assertThat(server.address().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
            assertThat(server.weight()).as("the reload's weight, with no lookup to bring it").isEqualTo(5);
            assertThat(lb.dnsLookups().getFirst().failing()).isTrue();
        }
    }

    private static Config config(final ScriptedDnsServer dns, final DnsServerSpec spec) {
        return new Config(1, Duration.ofSeconds(1),
            List.of(new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g",
                TcpOptions.DEFAULTS)),
            List.of(new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(), HealthCheckConfig.DEFAULTS, 0,
                List.of(spec))),
            DnsConfig.DEFAULTS.withResolver(dns.address()).withTtl(Duration.ofMillis(100), Duration.ofMillis(500))
                .withTimeout(Duration.ofMillis(300)));
    }
}
