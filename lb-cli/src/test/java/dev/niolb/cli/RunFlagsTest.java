package dev.niolb.cli;

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
import dev.niolb.config.Sizes;
import dev.niolb.config.SourceRate;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.UdpOptions;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RunFlagsTest {

    /** Parses {@code niolb run ARGS} and builds the config, without starting anything. */
    private static Config config(final String... args) {
        final var cmd = Main.commandLine();
        final String[] all = new String[args.length + 1];
        all[0] = "run";
        System.arraycopy(args, 0, all, 1, args.length);
        cmd.parseArgs(all);
        final RunCommand run = cmd.getSubcommands().get("run").getCommand();
        return run.toConfig();
    }

    @Test
    void listenAndServerAloneGiveTheDocumentedDefaults() {
        final Config config = config("--listen", "127.0.0.1:8080", "--server", "10.0.0.1:80");

        assertThat(config.threads()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(config.grace()).isEqualTo(Config.DEFAULT_GRACE);
        assertThat(config.listeners()).containsExactly(
            new ListenerConfig(new InetSocketAddress("127.0.0.1", 8080), "default", TcpOptions.DEFAULTS));
        assertThat(config.groups()).containsExactly(new TargetGroupConfig("default", Algorithm.ROUNDROBIN,
            java.util.List.of(new ServerConfig(new InetSocketAddress("10.0.0.1", 80), 1))));
    }

    @Test
    void aServerGivenByNameIsResolvedAtRunTimeAndTheResolverIsKept() {
        final Config config = config("--listen", "127.0.0.1:8080", "--server", "10.0.0.1:80",
            "--server", "api.internal:8080,weight=2", "--server", "srv:_api._tcp.example.org",
            "--resolver", "127.0.0.1:5353");

        final TargetGroupConfig group = config.groups().getFirst();
        assertThat(group.servers()).extracting(ServerConfig::name).containsExactly("10.0.0.1:80");
        assertThat(group.dnsServers()).extracting(dev.niolb.config.DnsServerSpec::name)
            .containsExactly("api.internal:8080", "srv:_api._tcp.example.org");
        assertThat(group.dnsServers().getFirst().template().weight()).isEqualTo(2);
        assertThat(config.dns().resolver()).isEqualTo(new InetSocketAddress("127.0.0.1", 5353));
        assertThat(config("--listen", "127.0.0.1:8080", "--server", "10.0.0.1:80").dns())
            .isEqualTo(dev.niolb.config.DnsConfig.DEFAULTS);
    }

    @Test
    void serverSpecsCarryTheirWeightsAndNames() {
        final Config config = config("--listen", "127.0.0.1:8080", "--balance", "weighted",
            "--server", "10.0.0.1:80", "--server", "10.0.0.2:80,weight=3", "--server", "10.0.0.3:81,weight=0,name=spare");

        final TargetGroupConfig group = config.groups().getFirst();
        assertThat(group.balance()).isEqualTo(Algorithm.WEIGHTED);
        assertThat(group.servers()).extracting(ServerConfig::name, ServerConfig::weight).containsExactly(
            org.assertj.core.groups.Tuple.tuple("10.0.0.1:80", 1),
            org.assertj.core.groups.Tuple.tuple("10.0.0.2:80", 3),
            org.assertj.core.groups.Tuple.tuple("spare", 0));
        assertThat(group.servers().get(2).address()).isEqualTo(new InetSocketAddress("10.0.0.3", 81));
    }

    @Test
    void everyFlagReachesTheConfigAsUsersWriteIt() {
        final Config config = config("--listen", "127.0.0.1:9000", "--server", "10.0.0.1:80",
            "--balance", "leastconn", "--threads", "3", "--connect-timeout", "250ms", "--idle-timeout", "1h",
            "--retries", "5", "--grace", "0", "--no-nodelay", "--keepalive", "--backlog", "50",
            "--buffer-size", "16k");

        assertThat(config.threads()).isEqualTo(3);
        assertThat(config.grace()).isEqualTo(Duration.ZERO);
        assertThat(config.groups().getFirst().balance()).isEqualTo(Algorithm.LEASTCONN);
        assertThat(config.listeners().getFirst().tcp()).isEqualTo(
            new TcpOptions(Duration.ofMillis(250), Duration.ofHours(1), 5, false, true, 50, 16 * 1024));
    }

    @Test
    void everyListenAddressFeedsTheOneDefaultGroup() {
        final Config config = config("--listen", "127.0.0.1:8080", "--listen", "[::1]:8081",
            "--server", "10.0.0.1:80");

        assertThat(config.listeners()).extracting(ListenerConfig::bind).containsExactly(
            new InetSocketAddress("127.0.0.1", 8080), new InetSocketAddress("::1", 8081));
        assertThat(config.listeners()).extracting(ListenerConfig::group).containsOnly("default");
        assertThat(config.groups()).extracting(TargetGroupConfig::name).containsExactly("default");
    }

    @Test
    void healthFlagsReachTheGroupAsUsersWriteThem() {
        final Config config = config("--listen", "127.0.0.1:9000", "--balance", "source",
            "--server", "10.0.0.1:80,check-port=8081", "--server", "10.0.0.2:80,backup",
            "--check", "http:/status", "--check", "agent:9999", "--check-interval", "500ms", "--check-timeout", "200ms",
            "--rise", "4", "--fall", "5", "--max-fails", "0", "--slowstart", "30s", "--hash-balance-factor", "125");

        final TargetGroupConfig group = config.groups().getFirst();
        assertThat(group.health()).isEqualTo(new HealthCheckConfig(
            List.of(new CheckSpec.Http("/status"), new CheckSpec.Agent(9999)), Duration.ofMillis(500),
            Duration.ofMillis(200), 4, 5, Duration.ofSeconds(30), 0));
        assertThat(group.hashBalanceFactor()).isEqualTo(125);
        assertThat(group.servers().get(0).checkPort()).isEqualTo(8081);
        assertThat(group.servers().get(1).backup()).isTrue();
    }

    @Test
    void drainFlagsReachTheGroup() {
        final HealthCheckConfig health = config("--listen", "127.0.0.1:9000", "--server", "10.0.0.1:80",
            "--drain-timeout", "1m", "--drain-rate", "50").groups().getFirst().health();
        assertThat(health.drainTimeout()).isEqualTo(Duration.ofMinutes(1));
        assertThat(health.drainRate()).isEqualTo(50);
    }

    @Test
    void aMaximumConnectionAgeReachesTheListeners() {
        assertThat(config("--listen", "127.0.0.1:9000", "--server", "10.0.0.1:80", "--max-connection-age", "10m")
            .listeners().getFirst().tcp().maxConnectionAge()).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void theHealthDefaultsInTheHelpAreThoseOfTheModel() {
        assertThat(config("--listen", "127.0.0.1:9000", "--server", "10.0.0.1:80").groups().getFirst().health())
            .isEqualTo(HealthCheckConfig.DEFAULTS);
    }

    @Test
    void udpListenersGetTheUdpDefaultsWhenNoUdpFlagIsGiven() {
        final Config config = config("--listen", "udp://127.0.0.1:53", "--server", "10.0.0.1:53");

        assertThat(config.listeners()).containsExactly(new ListenerConfig(null, Protocol.UDP,
            new InetSocketAddress("127.0.0.1", 53), "default", TcpOptions.DEFAULTS, UdpOptions.DEFAULTS));
        assertThat(UdpOptions.DEFAULTS).isEqualTo(new UdpOptions(Duration.ofSeconds(30), 0, 0, 2, 0));
    }

    @Test
    void theUdpFlagsReachTheUdpListenersAsUsersWriteThem() {
        final Config config = config("--listen", "udp://127.0.0.1:53", "--server", "10.0.0.1:53",
            "--udp-idle-timeout", "5s", "--udp-responses", "1", "--udp-max-flows", "1000", "--retries", "1",
            "--udp-rcvbuf", "256k");

        assertThat(config.listeners().getFirst().udp()).isEqualTo(new UdpOptions(Duration.ofSeconds(5), 1, 1000, 1, 262144));
    }

    @Test
    void udpMaxFlowsAutoIsTheDefaultAsInTheFile() {
        final Config config = config("--listen", "udp://127.0.0.1:53", "--server", "10.0.0.1:53",
            "--udp-max-flows", "auto");

        assertThat(config.listeners().getFirst().udp().maxFlows()).as("0: auto").isZero();
    }

    @Test
    void threadsAutoIsOnePerCoreAsInTheFile() {
        final Config config = config("--listen", "127.0.0.1:80", "--server", "10.0.0.1:80", "--threads", "auto");

        assertThat(config.threads()).isEqualTo(Config.defaultThreads());
    }

    @Test
    void aRunMayMixTcpAndUdpListenersEvenOnOnePortNumber() {
        final Config config = config("--listen", "127.0.0.1:5353", "--listen", "udp://127.0.0.1:5353",
            "--listen", "tcp://127.0.0.1:8080", "--server", "10.0.0.1:53");

        assertThat(config.listeners()).extracting(ListenerConfig::name).containsExactly(
            "tcp://127.0.0.1:5353", "udp://127.0.0.1:5353", "tcp://127.0.0.1:8080");
        assertThat(config.listeners()).extracting(ListenerConfig::protocol).containsExactly(
            Protocol.TCP, Protocol.UDP, Protocol.TCP);
    }

    @Test
    void accessAndLimitFlagsReachEveryListenerAndTheGlobalCapTheConfig() {
        final Config config = config("--listen", "127.0.0.1:9000", "--listen", "udp://127.0.0.1:53",
            "--server", "10.0.0.1:80,maxconn=50", "--allow", "10.0.0.0/8,192.168.0.0/16", "--allow", "2001:db8::/32",
            "--deny", "10.6.6.0/24", "--maxconn", "1000", "--listener-maxconn", "500", "--source-maxconn", "20",
            "--source-rate", "10/s,burst=30", "--source-table-size", "4096");

        final ListenerLimits expected = new ListenerLimits(
            CidrSet.parse(List.of("10.0.0.0/8", "192.168.0.0/16", "2001:db8::/32")),
            CidrSet.parse(List.of("10.6.6.0/24")), 500, 20, new SourceRate(10, Duration.ofSeconds(1), 30), 4096);
        assertThat(config.listeners()).extracting(ListenerConfig::limits).containsExactly(expected, expected);
        assertThat(config.maxconn()).isEqualTo(1000);
        assertThat(config.groups().getFirst().servers().getFirst().maxconn()).isEqualTo(50);
    }

    @Test
    void withoutLimitFlagsNothingIsLimitedAsTheHelpSays() {
        final Config config = config("--listen", "127.0.0.1:9000", "--server", "10.0.0.1:80");

        assertThat(config.listeners().getFirst().limits()).isEqualTo(ListenerLimits.NONE);
        assertThat(config.maxconn()).isZero();
        assertThat(ListenerLimits.NONE.sourceTableSize()).isEqualTo(65536);
    }

    @Test
    void bufferSizesAreBytesOrBinaryMultiples() {
        assertThat(Sizes.parse("65536")).isEqualTo(65536);
        assertThat(Sizes.parse("16k")).isEqualTo(16 * 1024);
        assertThat(Sizes.parse("64K")).isEqualTo(64 * 1024);
        assertThat(Sizes.parse("1m")).isEqualTo(1024 * 1024);
        assertThat(config("--listen", "127.0.0.1:1", "--server", "10.0.0.1:80", "--buffer-size", "1m")
            .listeners().getFirst().tcp().bufferSize()).isEqualTo(1024 * 1024);
    }

    @Test
    void theAdminApiIsOnTheDefaultAddressUnlessToldOtherwiseAndTheAccessLogOff() {
        final Config config = config("--listen", "127.0.0.1:8080", "--server", "10.0.0.1:80");

        assertThat(config.admin()).isEqualTo(new AdminConfig(new InetSocketAddress("127.0.0.1", 9900), null, false));
        assertThat(config.accessLog()).isEqualTo(AccessLogFormat.OFF);
    }

    @Test
    void theDefaultAdminAddressMustBindWhenGivenOrGuardedByAToken() {
        assertThat(config("--listen", "127.0.0.1:8080", "--server", "10.0.0.1:80", "--admin", "127.0.0.1:9900")
            .admin().required()).isTrue();
        assertThat(config("--listen", "127.0.0.1:8080", "--server", "10.0.0.1:80", "--admin-token-file",
            "/etc/niolb/token").admin()).isEqualTo(new AdminConfig(new InetSocketAddress("127.0.0.1", 9900),
            java.nio.file.Path.of("/etc/niolb/token"), true));
    }

    @Test
    void anAdminAddressGivenMustBindAndCarriesItsTokenFile() {
        final Config config = config("--listen", "127.0.0.1:8080", "--server", "10.0.0.1:80",
            "--admin", "[::1]:9901", "--admin-token-file", "/etc/niolb/token", "--access-log", "json");

        assertThat(config.admin()).isEqualTo(new AdminConfig(new InetSocketAddress("::1", 9901),
            java.nio.file.Path.of("/etc/niolb/token"), true));
        assertThat(config.accessLog()).isEqualTo(AccessLogFormat.JSON);
    }

    @Test
    void adminAllowedHostsRepeatAndABadOneIsAOneLineUsageError() {
        final Config config = config("--listen", "127.0.0.1:8080", "--server", "10.0.0.1:80",
            "--admin-allowed-host", "LB.example.com", "--admin-allowed-host", "[2001:db8::7]");
        assertThat(config.admin().allowedHosts()).containsExactly("lb.example.com", "2001:db8::7");

        final Cli bad = Cli.run("run", "--listen", "127.0.0.1:8080", "--server", "10.0.0.1:80",
            "--admin-allowed-host", "http://lb.example.com:9900");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.errLines().getFirst()).contains("bad admin host name 'http://lb.example.com:9900'");
    }

    @Test
    void anAccessListOfNothingButCommasIsAUsageErrorNotEveryoneLetIn() {
        for (final String flag : List.of("--allow", "--deny")) { // --accept-proxy-from is not split: ',' is a bad CIDR
            final Cli bad = Cli.run("run", "--listen", "127.0.0.1:1", "--server", "10.0.0.1:80", "--admin", "none",
                flag, ",");
            assertThat(bad.exitCode()).as(flag).isEqualTo(2);
            assertThat(bad.errLines().getFirst()).as(flag).contains(flag + " names no block (only commas)");
        }
    }

    @Test
    void anAccessListWithACommaAtItsEndIsAUsageErrorAsInTheConfigFile() {
        for (final String flag : List.of("--allow", "--deny")) {
            final Cli bad = Cli.run("run", "--listen", "127.0.0.1:1", "--server", "10.0.0.1:80", "--admin", "none",
                flag, "127.0.0.1,");
            assertThat(bad.exitCode()).as(flag).isEqualTo(2);
            assertThat(bad.errLines().getFirst()).as(flag)
                .isEqualTo("niolb: bad CIDR '' in " + flag + " '127.0.0.1,': a comma must stand between two blocks");
        }
    }

    @Test
    void adminNoneRunsWithoutTheAdminApi() {
        final Config config = config("--listen", "127.0.0.1:8080", "--server", "10.0.0.1:80", "--admin", "none",
            "--access-log", "PLAIN");

        assertThat(config.admin()).isEqualTo(AdminConfig.NONE);
        assertThat(config.accessLog()).isEqualTo(AccessLogFormat.PLAIN);
    }

    @Test
    void theProxyFlagsReachEveryListenerAndTheServerSpecsTheirServers() {
        final Config config = config("--listen", "127.0.0.1:8080", "--listen", "udp://127.0.0.1:53",
            "--server", "10.0.0.1:80,send-proxy-v2,proxy-udp=every", "--server", "10.0.0.2:80,send-proxy-v2",
            "--accept-proxy-from", "10.0.0.0/8", "--accept-proxy-from", "2001:db8::/32",
            "--proxy-header-timeout", "3s", "--proxy-header-max", "1k");

        final AcceptProxy expected = new AcceptProxy(true, CidrSet.parse(List.of("10.0.0.0/8", "2001:db8::/32")),
            Duration.ofSeconds(3), 1024);
        assertThat(config.listeners()).extracting(ListenerConfig::acceptProxy).containsExactly(expected, expected);
        assertThat(config.groups().getFirst().servers()).extracting(ServerConfig::sendProxy).containsExactly(
            new SendProxy(SendProxy.Version.V2, SendProxy.UdpMode.EVERY), SendProxy.V2);
    }

    @Test
    void acceptProxyAloneTrustsEveryPeerWithTheDefaultTimeoutAndBound() {
        final Config config = config("--listen", "127.0.0.1:8080", "--server", "10.0.0.1:80", "--accept-proxy");

        assertThat(config.listeners().getFirst().acceptProxy()).isEqualTo(AcceptProxy.fromAnyPeer());
        assertThat(AcceptProxy.fromAnyPeer()).isEqualTo(new AcceptProxy(true, null, Duration.ofSeconds(5), 4096));
    }
}
