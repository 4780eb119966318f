package dev.niolb.reload;

import dev.niolb.admission.CidrSet;
import dev.niolb.config.AcceptProxy;
import dev.niolb.config.Algorithm;
import dev.niolb.config.BusyPoll;
import dev.niolb.config.CheckSpec;
import dev.niolb.config.Config;
import dev.niolb.config.DnsConfig;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.ListenerLimits;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.SourceRate;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ConfigDiffTest {
    private static final Duration GRACE = Duration.ofSeconds(30);

    private static ListenerConfig tcp(final String name, final int port, final String group) {
        return new ListenerConfig(name, Protocol.TCP, new InetSocketAddress("127.0.0.1", port), group, TcpOptions.DEFAULTS);
    }

    private static ListenerConfig udp(final String name, final int port, final String group) {
        return new ListenerConfig(name, Protocol.UDP, new InetSocketAddress("127.0.0.1", port), group, TcpOptions.DEFAULTS);
    }

    private static ServerConfig server(final String name, final int port, final int weight) {
        return new ServerConfig(name, new InetSocketAddress("10.0.0.1", port), weight);
    }

    private static TargetGroupConfig group(final String name, final Algorithm balance, final ServerConfig... servers) {
        return new TargetGroupConfig(name, balance, List.of(servers));
    }

    private static Config config(final List<ListenerConfig> listeners, final TargetGroupConfig... groups) {
        return new Config(2, GRACE, listeners, List.of(groups));
    }

    private final TargetGroupConfig web = group("web", Algorithm.ROUNDROBIN, server("s1", 80, 1), server("s2", 81, 1));
    private final Config running = config(List.of(tcp("front", 8080, "web"), udp("dns", 53, "web")), web);

    @Test
    void theSameConfigIsNoChange() {
        final ConfigDiff diff = ConfigDiff.between(running, config(List.of(tcp("front", 8080, "web"),
            udp("dns", 53, "web")), web));

        assertThat(diff.isEmpty()).isTrue();
        assertThat(diff.summary()).isEqualTo("no change");
    }

    @Test
    void aResolverGivenBackToTheSystemIsSummarisedAsSystemNotNull() {
        final Config withResolver = new Config(2, GRACE, running.listeners(), running.groups(),
            DnsConfig.DEFAULTS.withResolver(new InetSocketAddress("127.0.0.1", 5353)));

        assertThat(ConfigDiff.between(withResolver, running).summary()).isEqualTo("dns.resolver 127.0.0.1:5353→system");
        assertThat(ConfigDiff.between(running, withResolver).summary()).isEqualTo("dns.resolver system→127.0.0.1:5353");
    }

    @Test
    void summarisesListenersAddedAndRemovedAndServerChangesInOneLine() {
        final Config next = config(List.of(tcp("front", 8080, "web"), tcp("tcp-b", 8081, "web")),
            group("web", Algorithm.LEASTCONN, server("s2", 81, 3), server("s3", 82, 1), server("s4", 83, 1)));

        final ConfigDiff diff = ConfigDiff.between(running, next);

        assertThat(diff.summary()).isEqualTo("+listener tcp-b, -listener dns, group web: +server s3, +server s4, "
            + "-server s1 (draining), s2 weight 1→3, balance roundrobin→leastconn");
        assertThat(diff.listenersAdded()).extracting(ListenerConfig::name).containsExactly("tcp-b");
        assertThat(diff.listenersRemoved()).extracting(ListenerConfig::name).containsExactly("dns");
        final ConfigDiff.GroupChange g = diff.groupsChanged().getFirst();
        assertThat(g.changed("balance")).isTrue();
        assertThat(g.changed("health")).isFalse();
    }

    @Test
    void aServerAtANewAddressIsANewServerAndTheOldOneDrains() {
        final Config next = config(running.listeners(),
            group("web", Algorithm.ROUNDROBIN, server("s1", 90, 1), server("s2", 81, 1)));

        final ConfigDiff.GroupChange g = ConfigDiff.between(running, next).groupsChanged().getFirst();

        assertThat(g.serversRemoved()).extracting(s -> s.address().getPort()).containsExactly(80);
        assertThat(g.serversAdded()).extracting(s -> s.address().getPort()).containsExactly(90);
        assertThat(g.serversChanged()).isEmpty();
    }

    @Test
    void theOtherProtocolsOptionsOfAListenerAreNoChangeOfIt() {
        // defaults: gives every listener both protocols' options; a UDP listener uses no TCP idle-timeout
        final ListenerConfig udpWithTcpOption = new ListenerConfig("dns", Protocol.UDP,
            new InetSocketAddress("127.0.0.1", 53), "web", TcpOptions.DEFAULTS.withIdleTimeout(Duration.ofHours(1)));
        final ListenerConfig tcpWithUdpOption = new ListenerConfig("front", Protocol.TCP,
            new InetSocketAddress("127.0.0.1", 8080), "web", TcpOptions.DEFAULTS,
            dev.niolb.config.UdpOptions.DEFAULTS.withIdleTimeout(Duration.ofSeconds(5)));

        final ConfigDiff diff = ConfigDiff.between(running, config(List.of(tcpWithUdpOption, udpWithTcpOption), web));

        assertThat(diff.isEmpty()).isTrue();
        assertThat(diff.summary()).isEqualTo("no change");
    }

    @Test
    void aFlowCapBackAtTheDefaultAndABackupsModeAreSaidInTheFilesWords() {
        final ListenerConfig capped = new ListenerConfig("dns", Protocol.UDP, new InetSocketAddress("127.0.0.1", 53),
            "web", TcpOptions.DEFAULTS, dev.niolb.config.UdpOptions.DEFAULTS.withMaxFlows(3000));
        final Config before = config(List.of(tcp("front", 8080, "web"), capped), web);
        final TargetGroupConfig first = new TargetGroupConfig("web", Algorithm.ROUNDROBIN, web.servers(),
            web.health().withFirstBackupOnly(true));

        final ConfigDiff diff = ConfigDiff.between(before, config(List.of(tcp("front", 8080, "web"),
            udp("dns", 53, "web")), first));

        assertThat(diff.summary()).contains("listener dns: udp-max-flows 3000→auto").contains("backups all→first");
    }

    @Test
    void listenerOptionsChangeInPlaceAndNameTheChangedField() {
        final ListenerConfig slow = new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 8080),
            "web", TcpOptions.DEFAULTS.withIdleTimeout(Duration.ofHours(1)));
        final ConfigDiff diff = ConfigDiff.between(running, config(List.of(slow, udp("dns", 53, "web")), web));

        assertThat(diff.listenersAdded()).isEmpty();
        assertThat(diff.listenersRemoved()).isEmpty();
        assertThat(diff.summary()).as("in the file's words: the key, not the record's path")
            .isEqualTo("listener front: idle-timeout 10m→1h");
    }

    @Test
    void everyTcpOptionIsSummarisedUnderItsConfigKey() {
        final TcpOptions all = new TcpOptions(Duration.ofSeconds(1), Duration.ofHours(1), 5, false, true, 64, 16 * 1024,
            Duration.ofMinutes(10), dev.niolb.config.Splice.NEVER, true, 64 * 1024, 16 * 1024);
        final ListenerConfig before = tcp("front", 8080, "web");
        final ListenerConfig after = new ListenerConfig("front", Protocol.TCP, before.bind(), "web", all);
        final String summary = ConfigDiff.between(config(List.of(before), web), config(List.of(after), web)).summary();

        // the keys a config file has: every key of the effective config niolb check prints
        final java.util.Set<String> keys = new java.util.HashSet<>();
        final java.util.regex.Matcher key = java.util.regex.Pattern.compile("(?m)^[ -]*([a-z-]+):")
            .matcher(dev.niolb.config.file.ConfigWriter.write(config(List.of(after), web)));
        while (key.find()) {
            keys.add(key.group(1));
        }
        for (final String changed : summary.substring("listener front: ".length()).split(", ")) {
            assertThat(keys).as("'%s' in %s", changed, summary).contains(changed.substring(0, changed.indexOf(' ')));
        }
        assertThat(summary).contains("tcp-rcvbuf 0→64k", "tcp-sndbuf 0→16k");
    }

    @Test
    void accessListsTrustedProxiesAndSourceRatesAreSummarisedUnderTheirConfigKeys() {
        final ListenerConfig before = tcp("front", 8080, "web").withAcceptProxy(AcceptProxy.fromAnyPeer());
        final ListenerConfig after = before
            .withAcceptProxy(AcceptProxy.from(CidrSet.parse(List.of("127.0.0.5/32"))))
            .withLimits(ListenerLimits.NONE.withAccess(CidrSet.parse(List.of("10.0.0.0/8")), CidrSet.EMPTY)
                .withSourceRate(SourceRate.parse("10/s,burst=30")));
        final ConfigDiff diff = ConfigDiff.between(config(List.of(before), web), config(List.of(after), web));

        assertThat(diff.summary()).isEqualTo("listener front: accept-proxy-from every peer→[127.0.0.5/32],"
            + " allow []→[10.0.0.0/8], source-rate 0→10/s,burst=30");
    }

    @Test
    void aListenerOnANewPortIsReplacedAndSaidToHaveMoved() {
        final ConfigDiff diff = ConfigDiff.between(running, config(List.of(tcp("front", 9090, "web"),
            udp("dns", 53, "web")), web));

        assertThat(diff.listenersAdded()).extracting(ListenerConfig::name).containsExactly("front");
        assertThat(diff.listenersRemoved()).extracting(ListenerConfig::name).containsExactly("front");
        assertThat(diff.summary()).isEqualTo("listener front moved tcp://127.0.0.1:8080→tcp://127.0.0.1:9090");
    }

    @Test
    void aListenerRenamedOnTheSameAddressIsTheSameListener() {
        final ConfigDiff diff = ConfigDiff.between(running, config(List.of(tcp("web-front", 8080, "web"),
            udp("dns", 53, "web")), web));

        assertThat(diff.listenersAdded()).isEmpty();
        assertThat(diff.listenersRemoved()).isEmpty();
        assertThat(diff.summary()).isEqualTo("listener front: name front→web-front");
    }

    @Test
    void aTcpAndAUdpListenerOnOnePortAreNotTheSameListener() {
        final ConfigDiff diff = ConfigDiff.between(running, config(List.of(tcp("front", 8080, "web"),
            tcp("dns-tcp", 53, "web")), web));

        assertThat(diff.summary()).isEqualTo("+listener dns-tcp, -listener dns");
    }

    @Test
    void busyPollIsShownAsItIsWrittenDownToTheMicrosecond() {
        final Config on = running.withBusyPoll(BusyPoll.parse("50us"));

        assertThat(ConfigDiff.between(running, on).summary()).isEqualTo("busy-poll off→50us");
        assertThat(ConfigDiff.between(on, running.withBusyPoll(BusyPoll.parse("1500us"))).summary())
            .isEqualTo("busy-poll 50us→1500us");
    }

    @Test
    void groupsComeAndGoAndHealthAndThreadsAreNamed() {
        final TargetGroupConfig api = new TargetGroupConfig("api", Algorithm.ROUNDROBIN, List.of(server("a1", 90, 1)),
            HealthCheckConfig.DEFAULTS.withChecks(List.of(new CheckSpec.Tcp())).withInterval(Duration.ofSeconds(5)));
        final Config first = config(List.of(tcp("front", 8080, "web"), tcp("api", 9090, "api")), web, api);
        final TargetGroupConfig checkedFaster = new TargetGroupConfig("api", Algorithm.ROUNDROBIN,
            List.of(server("a1", 90, 1)), api.health().withInterval(Duration.ofSeconds(1)));
        final TargetGroupConfig other = group("other", Algorithm.SOURCE, server("o1", 70, 1));
        final Config second = new Config(4, Duration.ofSeconds(5), List.of(tcp("front", 8080, "other"),
            tcp("api", 9090, "api")), List.of(checkedFaster, other));

        final ConfigDiff diff = ConfigDiff.between(first, second);

        assertThat(diff.summary()).isEqualTo("listener front: group web→other, +group other, -group web (draining), "
            + "group api: check-interval 5s→1s, threads 2→4, grace 30s→5s");
        assertThat(diff.groupsChanged().getFirst().changed("health")).isTrue();
    }

    @Test
    void manyServersAreCounted() {
        final Config next = config(running.listeners(), group("web", Algorithm.ROUNDROBIN, server("s1", 80, 1),
            server("s2", 81, 1), server("n1", 1, 1), server("n2", 2, 1), server("n3", 3, 1), server("n4", 4, 1),
            server("n5", 5, 1)));

        assertThat(ConfigDiff.between(running, next).summary()).isEqualTo("group web: +5 servers");
    }

    @Test
    void aServersBackupAndCheckPortChangeInPlace() {
        final Config next = config(running.listeners(), group("web", Algorithm.ROUNDROBIN,
            new ServerConfig("s1", new InetSocketAddress("10.0.0.1", 80), 1, true, 9000), server("s2", 81, 1)));

        final ConfigDiff.GroupChange g = ConfigDiff.between(running, next).groupsChanged().getFirst();

        assertThat(g.serversChanged()).hasSize(1);
        assertThat(ConfigDiff.between(running, next).summary())
            .isEqualTo("group web: s1 backup false→true, s1 check-port 0→9000");
    }
}
