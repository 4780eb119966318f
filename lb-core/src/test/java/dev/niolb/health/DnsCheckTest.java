package dev.niolb.health;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.CheckSpec;
import dev.niolb.config.Config;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.UdpOptions;
import dev.niolb.target.Server;
import dev.niolb.target.ServerState;
import dev.niolb.testing.Await;
import dev.niolb.testing.Dnsmasq;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The {@code dns:NAME} check: its query and reply handling byte by byte, and against real {@code dnsmasq}
 * servers on loopback (skipped when dnsmasq is not installed).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DnsCheckTest {
    @TempDir
    Path dir;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private LoadBalancer lb;

    @AfterEach
    void tearDown() throws Exception {
        if (lb != null) {
            lb.stop(Duration.ZERO);
        }
        for (final AutoCloseable r : resources.reversed()) {
            r.close();
        }
    }

    // ------------------------------------------------------------------------------------------ the messages

    @Test
    void theQueryAsksForTheNamesARecordWithItsIdAndRecursionDesired() {
        final DnsCheck check = new DnsCheck(new CheckSpec.Dns("www.Example.test.").labels());

        final ByteBuffer q = ByteBuffer.wrap(check.query(0xBEEF));

        assertThat(q.getShort() & 0xffff).as("id").isEqualTo(0xBEEF);
        assertThat(q.getShort() & 0xffff).as("flags: standard query, RD").isEqualTo(0x0100);
        assertThat(q.getShort()).as("QDCOUNT").isEqualTo((short) 1);
        assertThat(new short[]{q.getShort(), q.getShort(), q.getShort()}).as("AN, NS, AR counts").containsOnly(0);
        final byte[] name = new byte["\3www\7Example\4test\0".length()];
        q.get(name);
        assertThat(new String(name, StandardCharsets.US_ASCII)).isEqualTo("\3www\7Example\4test\0");
        assertThat(q.getShort()).as("QTYPE A").isEqualTo((short) 1);
        assertThat(q.getShort()).as("QCLASS IN").isEqualTo((short) 1);
        assertThat(q.hasRemaining()).isFalse();
    }

    @Test
    void aReplyWithTheQueryIdPassesOnNoerrorOrNxdomainAndFailsOnServfailOrRefused() {
        final DnsCheck check = new DnsCheck(new CheckSpec.Dns("example.test").labels());

        assertThat(check.judge(reply(7, 0x8180), 12, 7).passed()).as("NOERROR").isTrue();
        assertThat(check.judge(reply(7, 0x8183), 12, 7).passed()).as("NXDOMAIN").isTrue();
        final CheckResult servfail = check.judge(reply(7, 0x8182), 12, 7);
        assertThat(servfail.passed()).isFalse();
        assertThat(servfail.detail()).isEqualTo("answered SERVFAIL");
        assertThat(check.judge(reply(7, 0x8185), 12, 7).detail()).isEqualTo("answered REFUSED");
        assertThat(check.judge(reply(7, 0x8184), 12, 7).passed()).as("NOTIMP").isFalse();
    }

    @Test
    void aDatagramThatIsNotTheReplyToThisQueryIsIgnored() {
        final DnsCheck check = new DnsCheck(new CheckSpec.Dns("example.test").labels());

        assertThat(check.judge(reply(8, 0x8180), 12, 7)).as("another id").isNull();
        assertThat(check.judge(reply(7, 0x0100), 12, 7)).as("a query, not a response").isNull();
        assertThat(check.judge(reply(7, 0x8180), 11, 7)).as("shorter than a header").isNull();
    }

    @Test
    void aBadNameIsAOneLineUsageError() {
        for (final String bad : List.of("dns:", "dns:a..b", "dns:bad name", "dns:" + "x".repeat(64) + ".test",
            "dns:é.test")) {
            assertThatThrownBy(() -> CheckSpec.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("bad check '" + bad + "': expected dns:NAME").hasMessageNotContaining("\n");
        }
        assertThat(CheckSpec.parse("dns:example.test")).isEqualTo(new CheckSpec.Dns("example.test"))
            .hasToString("dns:example.test");
    }

    private static byte[] reply(final int id, final int flags) {
        return ByteBuffer.allocate(12).putShort((short) id).putShort((short) flags).putShort((short) 1).array();
    }

    // ---------------------------------------------------------------------------------------- real servers

    private void start(final String name, final InetSocketAddress... servers) throws Exception {
        final List<ServerConfig> configs = new ArrayList<>();
        for (int i = 0; i < servers.length; i++) {
            configs.add(new ServerConfig("s" + i, servers[i], 1));
        }
        lb = LoadBalancer.start(Config.single(1, Duration.ZERO,
            new ListenerConfig("dns", Protocol.UDP, new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS,
                UdpOptions.DEFAULTS.withResponses(1)),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, configs, HealthCheckConfig.DEFAULTS
                .withChecks(List.of(CheckSpec.parse("dns:" + name))).withInterval(Duration.ofMillis(100))
                .withTimeout(Duration.ofMillis(300)).withRise(2).withFall(3).withMaxFails(0))));
    }

    private Server server(final String name) {
        return lb.group("g").snapshot().server(name);
    }

    private Dnsmasq dnsmasq(final String name) throws Exception {
        final Path binary = Dnsmasq.binary().orElse(null);
        assumeTrue(binary != null, "dnsmasq is not installed (apt-get install dnsmasq): skipping the real-DNS checks");
        return Dnsmasq.start(binary, name, dir);
    }

    @Test
    void aDnsmasqThatAnswersStaysUpAndGoesDownAfterFallChecksOnceStopped() throws Exception {
        final Dnsmasq dns = dnsmasq("dns-a");
        resources.add(dns);
        start("example.test", dns.address());
        Thread.sleep(600); // about six checks: three failing in a row would have taken it DOWN
        assertThat(server("s0").state()).as("UP while it answers").isEqualTo(ServerState.UP);

        dns.close(); // SIGTERM by its PID: the port now answers ICMP port unreachable
        final long stoppedAt = System.nanoTime();
        Await.until(() -> server("s0").state() == ServerState.DOWN, 3000);

        // fall 3 checks 100 ms apart: DOWN after about 200-300 ms, and not at the first failure
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt)).isBetween(150L, 2000L);
    }

    @Test
    void aNameTheServerRefusesFailsTheCheck() throws Exception {
        final Dnsmasq dns = dnsmasq("dns-a"); // dnsmasq without upstream servers answers REFUSED for other names
        resources.add(dns);
        start("nowhere.example", dns.address());

        Await.until(() -> server("s0").state() == ServerState.DOWN, 3000);
    }

    @Test
    void aServerThatNeverAnswersFailsTheCheckAtTheTimeout() throws Exception {
        final DatagramSocket silent = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0)); // reads nothing
        resources.add(silent);
        start("example.test", (InetSocketAddress) silent.getLocalSocketAddress());

        Await.until(() -> server("s0").state() == ServerState.DOWN, 5000);
    }
}
