package dev.niolb.dns;

import dev.niolb.LoadBalancer;
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
import dev.niolb.backend.Server;
import dev.niolb.testing.Await;
import dev.niolb.testing.Dnsmasq;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Servers by DNS name against a real {@code dnsmasq} on a loopback port, whose records the tests change: its
 * hosts file is rewritten and re-read on SIGHUP; SRV records come from its command line.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@EveryTransport
class DnsServersTest {
    private static final InetSocketAddress ANY_PORT = new InetSocketAddress("127.0.0.1", 0);

    @RegisterExtension
    final EngineRig rig;

    @TempDir
    Path dir;
    private Path binary;
    private Path hosts;
    private final Map<String, EchoServer> backends = new LinkedHashMap<>();
    private Dnsmasq dns;
    private LoadBalancer lb;
    private int port;

    DnsServersTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    @BeforeEach
    void setUp() throws Exception {
        binary = Dnsmasq.binary().orElse(null);
        Assumptions.assumeTrue(binary != null, "dnsmasq is not installed (.ci/install-test-deps installs it)");
        hosts = dir.resolve("hosts");
        // three greeting servers on one port of three loopback addresses: what one name with three A records means
        port = sharedPort("one", "two", "three");
    }

    @Test
    void addressesThatAppearJoinTheGroupAndTakeTraffic() throws Exception {
        records("127.0.0.1 api.test");
        startDns();
        start(DnsServerSpec.of("api.test", port));
        assertThat(names()).containsExactly("api.test:" + port + "#127.0.0.1");
        assertThat(spread(3)).containsOnlyKeys("one");

        records("127.0.0.1 api.test", "127.0.0.2 api.test", "127.0.0.3 api.test");
        dns.reread();

        Await.until(() -> names().size() == 3, 5000);
        assertThat(spread(9)).containsEntry("one", 3).containsEntry("two", 3).containsEntry("three", 3);
    }

    @Test
    void addressesThatVanishAreDrainedWhileTheirSessionsGoOn() throws Exception {
        records("127.0.0.1 api.test", "127.0.0.2 api.test", "127.0.0.3 api.test");
        startDns();
        start(DnsServerSpec.of("api.test", port));
        assertThat(names()).hasSize(3);
        try (Socket onOne = sessionTo("one")) {
            records("127.0.0.3 api.test");
            dns.reread();

            Await.until(() -> names().size() == 1, 5000);
            assertThat(names()).containsExactly("api.test:" + port + "#127.0.0.3");
            assertThat(lb.group("g").retiring()).extracting(Server::name).contains("api.test:" + port + "#127.0.0.1");
            assertThat(spread(4)).containsOnlyKeys("three");
            onOne.getOutputStream().write("still one\n".getBytes(StandardCharsets.UTF_8));
            assertThat(readLine(onOne)).isEqualTo("still one");
        }
    }

    @Test
    void anAddressThatIsNiolbsOwnListenerIsLeftOutOfTheGroupSinceNiolbWouldRelayToItself() throws Exception {
        final int own = dev.niolb.testing.Ports.freeForTcpAndUdp();
        records("127.0.0.1 self.test", "127.0.0.2 self.test");
        startDns();
        final Config base = config(List.of(), List.of(DnsServerSpec.of("self.test", own)));
        lb = rig.start(base.withListeners(List.of(new ListenerConfig("front", Protocol.TCP,
            new InetSocketAddress("127.0.0.1", own), "g", TcpOptions.DEFAULTS))));

        assertThat(names()).as("127.0.0.1:%d is the listener itself", own)
            .containsExactly("self.test:" + own + "#127.0.0.2");
    }

    @Test
    void aReloadThatAddsAListenerAtADnsServersAddressTakesTheServerOutBeforeTheListenerAcceptsAndBackWhenItGoes()
        throws Exception {
        final int own = dev.niolb.testing.Ports.freeForTcpAndUdp();
        records("127.0.0.1 self.test", "127.0.0.2 self.test");
        startDns();
        final Config before = config(List.of(), List.of(DnsServerSpec.of("self.test", own)));
        lb = rig.start(before);
        assertThat(names()).hasSize(2); // nothing of niolb's there yet

        final Config with = before.withListeners(List.of(before.listeners().getFirst(), new ListenerConfig("self",
            Protocol.TCP, new InetSocketAddress("127.0.0.1", own), "g", TcpOptions.DEFAULTS)));
        lb.reload(with);
        assertThat(names()).as("out as the reload returns, not at the next lookup")
            .containsExactly("self.test:" + own + "#127.0.0.2");

        lb.reload(before);
        assertThat(names()).hasSize(2);
    }

    @Test
    void aResolverThatStopsAnsweringLeavesTheLastGoodSetUntilItAnswersAgain() throws Exception {
        records("127.0.0.1 api.test", "127.0.0.2 api.test");
        startDns();
        start(DnsServerSpec.of("api.test", port));
        assertThat(names()).hasSize(2);

        // silent, not gone: a closed resolver's port could be taken by another process before it came back
        dns.pause();
        final long failuresBefore = lb.dnsLookups().getFirst().failures();
        Await.until(() -> lb.dnsLookups().getFirst().failures() >= failuresBefore + 2, 10_000);
        assertThat(names()).hasSize(2);
        assertThat(spread(4)).containsOnlyKeys("one", "two");

        records("127.0.0.3 api.test");
        dns.resume();
        dns.reread();
        Await.until(() -> names().equals(List.of("api.test:" + port + "#127.0.0.3")), 5000);
        final DnsDiscovery.LookupStats counts = lb.dnsLookups().getFirst();
        assertThat(counts.failing()).isFalse();
        assertThat(counts.failures()).isPositive().isLessThan(counts.lookups());
    }

    @Test
    void srvRecordsGiveThePortsTheWeightsAndTheBackups() throws Exception {
        final EchoServer a = backend("a", ANY_PORT);
        final EchoServer b = backend("b", ANY_PORT);
        final EchoServer c = backend("c", ANY_PORT);
        records("127.0.0.1 a.svc.test", "127.0.0.1 b.svc.test", "127.0.0.1 c.svc.test");
        final List<String> srv = List.of(
            "--srv-host=_api._tcp.svc.test,a.svc.test," + a.address().getPort() + ",0,10",
            "--srv-host=_api._tcp.svc.test,b.svc.test," + b.address().getPort() + ",0,30",
            "--srv-host=_api._tcp.svc.test,c.svc.test," + c.address().getPort() + ",1,5");
        dns = rig.track(Dnsmasq.start(binary, "dns", dir, 0, concat(options(), srv)));
        start(DnsServerSpec.parse("srv:_api._tcp.svc.test"), Algorithm.WEIGHTED);

        final Server sa = lb.server("g", "srv:_api._tcp.svc.test#127.0.0.1:" + a.address().getPort());
        final Server sb = lb.server("g", "srv:_api._tcp.svc.test#127.0.0.1:" + b.address().getPort());
        final Server sc = lb.server("g", "srv:_api._tcp.svc.test#127.0.0.1:" + c.address().getPort());
        assertThat(sa.weight()).isEqualTo(10);
        assertThat(sb.weight()).isEqualTo(30);
        assertThat(sa.backup()).isFalse();
        assertThat(sc.backup()).as("priority 1 behind priority 0").isTrue();
        assertThat(spread(40)).containsEntry("a", 10).containsEntry("b", 30).doesNotContainKey("c");
    }

    @Test
    void aReloadThatAddsANameResolvesItBeforeItReturnsAndOneThatDropsItDrainsItsServers() throws Exception {
        records("127.0.0.2 api.test");
        startDns();
        final EchoServer plain = backend("plain", ANY_PORT);
        final ServerConfig fixed = new ServerConfig("plain", plain.address(), 1);
        lb = rig.start(config(List.of(fixed), List.of()));

        lb.reload(config(List.of(fixed), List.of(DnsServerSpec.of("api.test", port))));
        assertThat(names()).containsExactly("plain", "api.test:" + port + "#127.0.0.2");

        lb.reload(config(List.of(fixed), List.of()));
        assertThat(names()).containsExactly("plain");
    }

    @Test
    void aReloadThatChangesANamesWeightSaysWhichWeightSetAtRunTimeItReplaced() throws Exception {
        records("127.0.0.2 api.test");
        startDns();
        start(DnsServerSpec.of("api.test", port));
        final String name = "api.test:" + port + "#127.0.0.2";
        lb.setWeight("g", name, 9);

        final dev.niolb.reload.ReloadResult result = lb.reload(config(List.of(),
            List.of(DnsServerSpec.parse("api.test:" + port + ",weight=2"))));

        assertThat(result.replaced()).containsExactly("group g: " + name + " weight 9→2");
        assertThat(lb.group("g").snapshot().server(name).weight()).isEqualTo(2);
    }

    // ------------------------------------------------------------------------------------------ helpers

    private List<String> options() {
        return List.of("--addn-hosts=" + hosts, "--local=/test/", "--local-ttl=0");
    }

    private void startDns() throws IOException, InterruptedException {
        dns = rig.track(Dnsmasq.start(binary, "dns", dir, 0, options()));
    }

    private void records(final String... lines) throws IOException {
        Files.writeString(hosts, String.join("\n", lines) + "\n");
    }

    private Config config(final List<ServerConfig> servers, final List<DnsServerSpec> names) {
        return config(servers, names, Algorithm.ROUNDROBIN);
    }

    private Config config(final List<ServerConfig> servers, final List<DnsServerSpec> names, final Algorithm balance) {
        final DnsConfig resolver = DnsConfig.DEFAULTS.withResolver(dns.address())
            .withTtl(Duration.ofMillis(100), Duration.ofMillis(500)).withTimeout(Duration.ofMillis(300));
        return new Config(1, Duration.ofSeconds(1),
            List.of(new ListenerConfig("front", Protocol.TCP, ANY_PORT, "g", TcpOptions.DEFAULTS)),
            List.of(new TargetGroupConfig("g", balance, servers, HealthCheckConfig.DEFAULTS, 0, names)), resolver);
    }

    private void start(final DnsServerSpec spec) throws IOException {
        start(spec, Algorithm.ROUNDROBIN);
    }

    private void start(final DnsServerSpec spec, final Algorithm balance) throws IOException {
        lb = rig.start(config(List.of(), List.of(spec), balance));
    }

    private List<String> names() {
        return Arrays.stream(lb.group("g").snapshot().servers()).map(Server::name).toList();
    }

    private EchoServer backend(final String name, final InetSocketAddress bind) throws IOException {
        final EchoServer s = new EchoServer(bind, name);
        backends.put(name, s);
        rig.track(s);
        return s;
    }

    /** Greeting servers on 127.0.0.1, .2, .3 at one port number free on all three. */
    private int sharedPort(final String... names) throws IOException {
        for (int attempt = 0; attempt < 20; attempt++) {
            final EchoServer first = new EchoServer(ANY_PORT, names[0]);
            final int p = first.address().getPort();
            final List<EchoServer> more = new ArrayList<>();
            try {
                for (int i = 1; i < names.length; i++) {
                    more.add(new EchoServer(new InetSocketAddress("127.0.0." + (i + 1), p), names[i]));
                }
            } catch (final IOException taken) {
                first.close();
                for (final EchoServer m : more) {
                    m.close();
                }
                continue;
            }
            backends.put(names[0], first);
            rig.track(first);
            for (int i = 1; i < names.length; i++) {
                backends.put(names[i], more.get(i - 1));
                rig.track(more.get(i - 1));
            }
            return p;
        }
        throw new IOException("no port free on 127.0.0.1-3");
    }

    private Map<String, Integer> spread(final int n) throws IOException {
        final Map<String, Integer> counts = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            try (Socket s = connect()) {
                counts.merge(readLine(s), 1, Integer::sum);
            }
        }
        return counts;
    }

    private Socket connect() throws IOException {
        final Socket s = new Socket();
        s.connect(lb.localAddress("front"), 2000);
        s.setSoTimeout(5000);
        return s;
    }

    private Socket sessionTo(final String name) throws IOException {
        for (int i = 0; i < 50; i++) {
            final Socket s = connect();
            if (readLine(s).equals(name)) {
                return s;
            }
            s.close();
        }
        throw new AssertionError("no session reached " + name);
    }

    private static String readLine(final Socket s) throws IOException {
        final StringBuilder line = new StringBuilder();
        int c;
        while ((c = s.getInputStream().read()) != '\n') {
            if (c < 0) {
                throw new IOException("closed before the end of a line");
            }
            line.append((char) c);
        }
        return line.toString();
    }

    private static List<String> concat(final List<String> a, final List<String> b) {
        final List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
