package dev.niolb.config.file;

import dev.niolb.config.AccessLogFormat;
import dev.niolb.config.AdminConfig;
import dev.niolb.admission.CidrSet;
import dev.niolb.config.AcceptProxy;
import dev.niolb.config.Algorithm;
import dev.niolb.config.CheckSpec;
import dev.niolb.config.Config;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.ListenerLimits;
import dev.niolb.config.Protocol;
import dev.niolb.config.SendProxy;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.SourceRate;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.UdpOptions;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ConfigWriterTest {
    /** Every option away from its default, so that a key the writer forgot shows as a difference. */
    private static Config everything() {
        final TcpOptions tcp = new TcpOptions(Duration.ofMillis(1500), Duration.ofHours(2), 5, false, true, 77,
            16 * 1024, Duration.ofMinutes(10));
        final UdpOptions udp = new UdpOptions(Duration.ofSeconds(7), 1, 5000, 5, 262144);
        final HealthCheckConfig health = new HealthCheckConfig(
            List.of(new CheckSpec.Http("HEAD", "/health", "example.test", 200, 204), new CheckSpec.Agent(9999)),
            Duration.ofMillis(750), Duration.ofMillis(300), 4, 5, Duration.ofSeconds(20), 7, Duration.ofMinutes(1), 25,
            30);
        final ListenerLimits limits = new ListenerLimits(CidrSet.parse(List.of("10.0.0.0/8", "::1/128", "2001:db8::/32")),
            CidrSet.parse(List.of("10.6.6.0/24")), 500, 20, SourceRate.parse("10/s,burst=30"), 4096);
        return new Config(3, Duration.ofSeconds(9),
            List.of(new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 8080), "web", tcp, udp,
                    new AcceptProxy(true, CidrSet.parse(List.of("10.0.0.0/8", "2001:db8::/32")), Duration.ofSeconds(3),
                        1024), limits),
                new ListenerConfig(null, Protocol.UDP, new InetSocketAddress("::1", 5353), "dns", tcp, udp,
                    AcceptProxy.fromAnyPeer())),
            List.of(new TargetGroupConfig("web", Algorithm.SOURCE, List.of(
                    new ServerConfig("a", new InetSocketAddress("10.0.0.1", 80), 3, false, 8081, SendProxy.V1, 100),
                    new ServerConfig(null, new InetSocketAddress("::2", 80), 0, true, 0,
                        new SendProxy(SendProxy.Version.V2, SendProxy.UdpMode.EVERY))), health, 150),
                new TargetGroupConfig("dns", Algorithm.RANDOM, List.of(
                    new ServerConfig(new InetSocketAddress("10.0.0.3", 53), 1)),
                    HealthCheckConfig.DEFAULTS.withChecks(List.of(new CheckSpec.SendExpect("PING", "+PONG"))), 0)))
            .withMaxconn(10_000)
            .withAdmin(AdminConfig.of(new InetSocketAddress("::1", 9901), java.nio.file.Path.of("/etc/niolb/admin token"))
                .withMetricsAddress(new InetSocketAddress("127.0.0.1", 9902))
                .withAllowedHosts(List.of("lb.example.com", "[2001:db8::7]")))
            .withAccessLog(AccessLogFormat.PLAIN)
            .withBusyPoll(dev.niolb.config.BusyPoll.parse("1500us"))
            .withLogs(new dev.niolb.config.LogConfig(java.nio.file.Path.of("/var/log/niolb/access.log"), 10 * 1024,
                30, dev.niolb.config.SyslogAddress.parse("udp://127.0.0.1:5514"), "local3"));
    }

    @Test
    void theEffectiveConfigReadsBackToAnEqualConfig() {
        final Config config = everything();

        assertThat(ConfigFile.parse(ConfigWriter.write(config), "effective.yaml")).isEqualTo(config);
    }

    @Test
    void anEmptyTrustedListIsWrittenAsOneAndEveryPeerAsNoList() {
        final InetSocketAddress a = new InetSocketAddress("10.0.0.1", 80);
        final Config config = new Config(1, Duration.ZERO,
            List.of(new ListenerConfig(new InetSocketAddress("127.0.0.1", 8080), "g", TcpOptions.DEFAULTS)
                    .withAcceptProxy(AcceptProxy.from(CidrSet.EMPTY)),
                new ListenerConfig(new InetSocketAddress("127.0.0.1", 8081), "g", TcpOptions.DEFAULTS)
                    .withAcceptProxy(AcceptProxy.fromAnyPeer())),
            List.of(new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig(a, 1)))));

        final String yaml = ConfigWriter.write(config);

        assertThat(yaml).containsOnlyOnce("accept-proxy-from: []");
        assertThat(ConfigFile.parse(yaml, "t.yaml")).isEqualTo(config);
    }

    @Test
    void everyDefaultIsWrittenOut() {
        final String yaml = ConfigWriter.write(ConfigFile.parse("""
            listeners:
              - bind: 127.0.0.1:8080
            groups:
              - name: web
                servers: [10.0.0.1:80]
            """, "t.yaml"));

        assertThat(yaml).contains("  threads: auto\n", "  grace: 30s\n", "  access-log: off\n", "admin:\n  allowed-hosts: []\n", "    idle-timeout: 10m\n", "    buffer-size: 64k\n",
            "    udp-max-flows: auto\n", "    check-interval: 2s\n", "    checks: []\n", "      - address: 10.0.0.1:80\n",
            "        weight: 1\n", "    accept-proxy: false\n", "    proxy-header-timeout: 5s\n",
            "    proxy-header-max: 4k\n", "        send-proxy: none\n");
    }

    @Test
    void threadsLeftToNiolbAreWrittenAsAutoAndAGivenNumberAsItself() {
        final String minimal = "listeners:\n  - bind: 127.0.0.1:8080\ngroups:\n  - name: web\n    servers: [10.0.0.1:80]\n";
        final Config auto = ConfigFile.parse("defaults:\n  threads: auto\n" + minimal, "t.yaml");
        final Config given = ConfigFile.parse("defaults:\n  threads: " + Config.defaultThreads() + "\n" + minimal,
            "t.yaml");

        assertThat(ConfigWriter.write(auto)).contains("  threads: auto\n");
        assertThat(ConfigWriter.write(given)).contains("  threads: " + Config.defaultThreads() + "\n");
        assertThat(ConfigFile.parse(ConfigWriter.write(auto), "t.yaml")).isEqualTo(auto);
    }

    @Test
    void namesThatYamlWouldReadAsSomethingElseAreQuoted() {
        final InetSocketAddress listen = new InetSocketAddress("10.0.0.1", 80);
        final InetSocketAddress server = new InetSocketAddress("10.0.0.2", 80); // not the listener: niolb itself
        for (final String name : List.of("null", "true", "123", "a:", "#x", "[x]", "-", "~", "0x10", "'q'")) {
            final Config config = new Config(1, Duration.ZERO,
                List.of(new ListenerConfig(name, Protocol.TCP, listen, name, TcpOptions.DEFAULTS)),
                List.of(new TargetGroupConfig(name, Algorithm.ROUNDROBIN, List.of(new ServerConfig(
                    name.indexOf('#') >= 0 ? "x" : name, server, 1))))); // '#' names DNS's servers alone

            assertThat(ConfigFile.parse(ConfigWriter.write(config), "t.yaml")).as(name).isEqualTo(config);
        }
    }

    @Test
    void theEffectiveConfigOfTwentyThousandServersReadsBack() {
        final StringBuilder yaml = new StringBuilder("listeners:\n  - bind: 127.0.0.1:8080\ngroups:\n  - name: big\n"
            + "    servers:\n");
        for (int i = 0; i < 20_000; i++) {
            yaml.append("      - 10.").append(i >> 8).append('.').append(i & 255).append(".1:80\n");
        }
        final Config config = ConfigFile.parse(yaml.toString(), "big.yaml");
        final String effective = ConfigWriter.write(config);

        assertThat(effective.length()).as("every default filled in: several MiB").isGreaterThan(3 << 20);
        assertThat(ConfigFile.parse(effective, "effective.yaml")).isEqualTo(config);
    }
}
