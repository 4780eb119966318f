package dev.niolb.udp;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.UdpOptions;
import dev.niolb.session.Termination;
import dev.niolb.backend.Server;
import dev.niolb.testing.Await;
import dev.niolb.testing.DnsQuery;
import dev.niolb.testing.Dnsmasq;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Real DNS through niolb: two {@code dnsmasq} instances on loopback ports behind one UDP listener with
 * {@code responses=1}, asked by {@code dig} and by a hand-built Java resolver. Skips when dnsmasq is not installed
 * ({@code .ci/install-test-deps} installs it where it can).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@EveryTransport
class DnsThroughNiolbTest {
    @RegisterExtension
    final EngineRig rig;
    @TempDir
    Path dir;
    private final List<Dnsmasq> servers = new ArrayList<>();
    private LoadBalancer lb;

    DnsThroughNiolbTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    @BeforeEach
    void startTwoDnsmasqAndNiolb() throws Exception {
        final Path binary = Dnsmasq.binary().orElse(null);
        assumeTrue(binary != null, "dnsmasq is not installed (apt-get install dnsmasq): skipping the real-DNS tests");
        servers.add(rig.track(Dnsmasq.start(binary, "dns-a", dir)));
        servers.add(rig.track(Dnsmasq.start(binary, "dns-b", dir)));
        lb = rig.start(Config.single(1, Duration.ZERO,
            new ListenerConfig("dns", Protocol.UDP, new InetSocketAddress("127.0.0.1", 0), "resolvers",
                TcpOptions.DEFAULTS, UdpOptions.DEFAULTS.withResponses(1)),
            new TargetGroupConfig("resolvers", Algorithm.ROUNDROBIN, List.of(
                new ServerConfig("dns-a", servers.get(0).address(), 1),
                new ServerConfig("dns-b", servers.get(1).address(), 1)))));
    }

    private InetSocketAddress niolb() {
        return lb.localAddress("dns");
    }

    private UdpListenerCounters counters() {
        return lb.udpListener("dns").counters();
    }

    /** {@code dig @127.0.0.1 -p PORT +short ARGS}: its output lines; skips when dig is not installed. */
    private List<String> dig(final String... args) throws IOException, InterruptedException {
        final boolean installed = Files.isExecutable(Path.of("/usr/bin/dig"))
            || new ProcessBuilder("sh", "-c", "command -v dig").start().waitFor() == 0;
        assumeTrue(installed, "dig is not installed (apt-get install dnsutils): skipping the dig test");
        final List<String> command = new ArrayList<>(List.of("dig", "@127.0.0.1", "-p",
            Integer.toString(niolb().getPort()), "+short", "+tries=1", "+time=3"));
        command.addAll(List.of(args));
        final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("dig's exit code; output: " + out).isZero();
        return out.lines().toList();
    }

    @Test
    void digResolvesANameThroughNiolb() throws Exception {
        assertThat(dig("example.test")).containsExactly(Dnsmasq.EXAMPLE_ADDRESS);
        assertThat(dig("TXT", "which.test")).singleElement().isIn("\"dns-a\"", "\"dns-b\"");
        Await.until(() -> counters().datagramsOut() == 2, 2000); // counted just after the reply left
    }

    @Test
    void aJavaResolverResolvesThroughNiolbAndEachQueryIsAFlowEndedByItsAnswer() throws Exception {
        for (int i = 0; i < 20; i++) {
            assertThat(DnsQuery.resolve(niolb(), "example.test", DnsQuery.A, 1, 2000))
                .containsExactly(Dnsmasq.EXAMPLE_ADDRESS);
        }
        final Map<String, Integer> answeredBy = new HashMap<>();
        for (int i = 0; i < 20; i++) {
            answeredBy.merge(DnsQuery.resolve(niolb(), "which.test", DnsQuery.TXT, 1, 2000).getFirst(), 1,
                Integer::sum);
        }
        assertThat(answeredBy).containsOnly(Map.entry("dns-a", 10), Map.entry("dns-b", 10));
        assertThat(counters().flows()).isEqualTo(40);
        // a flow ends just after its answer left: the resolver may have it first
        Await.until(() -> counters().terminated(Termination.RESPONSES) == 40, 2000);
        assertThat(counters().active()).as("responses=1: no socket left behind").isZero();
    }

    @Test
    void stoppingOneDnsmasqShiftsEveryQueryToTheOther() throws Exception {
        servers.get(0).close();

        for (int i = 0; i < 20; i++) {
            // one try each, as a resolver's first: the answer must come without a client-side retry
            assertThat(DnsQuery.resolve(niolb(), "which.test", DnsQuery.TXT, 1, 2000)).as("query " + i)
                .containsExactly("dns-b");
        }

        final Server stopped = lb.group("resolvers").snapshot().server("dns-a");
        assertThat(stopped.counters().failedConnects()).as("port unreachable counted against dns-a").isPositive();
        assertThat(counters().get(UdpListenerCounters.SERVER_UNREACHABLE)).isEqualTo(stopped.counters().failedConnects());
        Await.until(() -> counters().terminated(Termination.RESPONSES) == 20, 2000);
    }
}
