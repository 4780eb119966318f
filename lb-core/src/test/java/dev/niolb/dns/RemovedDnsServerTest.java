package dev.niolb.dns;

import dev.niolb.LoadBalancer;
import dev.niolb.backend.OperatorStates;
import dev.niolb.backend.Server;
import dev.niolb.backend.ServerState;
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
import dev.niolb.testing.LogCapture;
import dev.niolb.testing.ScriptedDnsServer;
import dev.niolb.testing.TestedTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
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
            final LoadBalancer lb = rig.start(withName(dns, DnsServerSpec.of("api.test", 8080)));
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

    @Test
    void whenLookupsFailTheWarningCountsTheServersStillInTheGroupNotThoseTheOperatorRemoved() throws Exception {
        final ScriptedDnsServer dns = rig.track(new ScriptedDnsServer().answer("127.0.0.1", "127.0.0.2"));
        final LoadBalancer lb = rig.start(withName(dns, DnsServerSpec.of("api.test", 8080)));
        Await.until(() -> addresses(lb).size() == 2, 5000);
        lb.removeServer("g", lb.group("g").snapshot().servers()[1].name());
        awaitLookups(lb, 2);
        try (LogCapture log = LogCapture.of("dev.niolb.dns")) {
            dns.close(); // lookups time out from now on

            Await.until(() -> log.messages().stream().anyMatch(m -> m.contains("until a lookup works")), 5000);
            assertThat(log.messages()).filteredOn(m -> m.contains("until a lookup works")).first().asString()
                .contains("keeping its 1 server until");
        }
    }

    @Test
    void aServerDnsDroppedLeavesTheStateFileSoItsSuccessorStartsAfreshAfterARestart(@TempDir final Path dir)
        throws Exception {
        final Path file = dir.resolve("operator-states");
        try (ScriptedDnsServer dns = rig.track(new ScriptedDnsServer().answer("127.0.0.1", "127.0.0.2"))) {
            final LoadBalancer lb = rig.start(withName(dns, DnsServerSpec.of("api.test", 8080)),
                OperatorStates.in(file));
            Await.until(() -> addresses(lb).size() == 2, 5000);
            final Server second = Arrays.stream(lb.group("g").snapshot().servers())
                .filter(s -> s.address().getAddress().getHostAddress().equals("127.0.0.2")).findFirst().orElseThrow();
            second.operatorMode(ServerState.MAINT, "test");
            lb.saveOperatorStates(); // as the admin API does after a change
            assertThat(Files.readString(file)).contains(second.name() + " 127.0.0.2:8080 1 maint 1");

            dns.answer("127.0.0.1");
            Await.until(() -> addresses(lb).size() == 1, 5000);

            // the admin API and a reload rewrite the file when a server leaves; DNS did not, and a restart
            // brought the MAINT back onto the fresh server DNS gave the same address later
            Await.until(() -> !Files.readString(file).contains(second.name()), 5000);
        }
    }

    @Test
    void aReloadThatChangesOnlyTheCheckPortOfANameLogsThatNotTheWeight() throws Exception {
        try (ScriptedDnsServer dns = rig.track(new ScriptedDnsServer().answer("127.0.0.1"))) {
            final LoadBalancer lb = rig.start(withName(dns, DnsServerSpec.parse("api.test:8080,weight=2")));
            Await.until(() -> addresses(lb).size() == 1, 5000);
            lb.group("g").snapshot().servers()[0].weight(7); // the operator's, kept over the config's

            try (LogCapture log = LogCapture.of("dev.niolb.dns")) {
                lb.reload(withName(dns, DnsServerSpec.parse("api.test:8080,weight=2,check-port=9")));
                Await.until(() -> log.messages().stream().anyMatch(m -> m.contains("check-port 9")), 5000);

                // it said "weight 2" of a server whose weight, the operator's, stayed 7, and not what changed
                assertThat(log.messages()).filteredOn(m -> m.contains("check-port 9"))
                    .singleElement().asString().endsWith("api.test:8080#127.0.0.1 check-port 9");
            }
            assertThat(lb.group("g").snapshot().servers()[0].weight()).isEqualTo(7);
        }
    }

    @Test
    void aReloadThatPointsANamedSpecAtAnotherHostWhileLookupsFailTakesTheOldHostsServersOut() throws Exception {
        final ScriptedDnsServer dns = rig.track(new ScriptedDnsServer().answer("127.0.0.1", "127.0.0.2"));
        final LoadBalancer lb = rig.start(withName(dns, DnsServerSpec.parse("api.test:8080,name=svc")));
        Await.until(() -> addresses(lb).size() == 2, 5000);
        dns.close(); // lookups time out from now on

        lb.reload(withName(dns, DnsServerSpec.parse("other.test:8080,name=svc")));

        // clients went on to api.test's addresses under the name other.test has now (black-box testing, session 34)
        Await.until(() -> addresses(lb).isEmpty(), 5000);
    }

    /** One listener in front of group g, whose servers are {@code spec}'s, looked up at {@code dns} every 100-500 ms. */
    private static Config withName(final ScriptedDnsServer dns, final DnsServerSpec spec) {
        return new Config(1, Duration.ofSeconds(1),
            List.of(new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g",
                TcpOptions.DEFAULTS)),
            List.of(new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(), HealthCheckConfig.DEFAULTS, 0,
                List.of(spec))),
            DnsConfig.DEFAULTS.withResolver(dns.address()).withTtl(Duration.ofMillis(100), Duration.ofMillis(500))
                .withTimeout(Duration.ofMillis(300)));
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
