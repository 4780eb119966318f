package dev.niolb.config.file;

import dev.niolb.config.AccessLogFormat;
import dev.niolb.config.AdminConfig;
import dev.niolb.admission.CidrSet;
import dev.niolb.config.AcceptProxy;
import dev.niolb.config.Algorithm;
import dev.niolb.config.CheckSpec;
import dev.niolb.config.Config;
import dev.niolb.config.DnsConfig;
import dev.niolb.config.DnsServerSpec;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.SendProxy;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.UdpOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class ConfigFileTest {
    private static final String MINIMAL = """
        listeners:
          - bind: 127.0.0.1:8080
        groups:
          - name: web
            servers:
              - 10.0.0.1:80
        """;

    private static Config parse(final String yaml) {
        return ConfigFile.parse(yaml, "niolb.yaml");
    }

    private static InetSocketAddress at(final String host, final int port) {
        return new InetSocketAddress(host, port);
    }

    @Test
    void aMinimalFileGivesTheModelsDefaults() {
        assertThat(parse(MINIMAL)).isEqualTo(new Config(Config.AUTO_THREADS, Config.DEFAULT_GRACE,
            List.of(new ListenerConfig(at("127.0.0.1", 8080), "web", TcpOptions.DEFAULTS)),
            List.of(new TargetGroupConfig("web", Algorithm.ROUNDROBIN, List.of(new ServerConfig(at("10.0.0.1", 80), 1)))))
            .withAdmin(AdminConfig.DEFAULT)); // as niolb run's flags: the admin API on its default address
    }

    @Test
    void anAllowListWithNothingWrittenAfterItIsRefusedNotTakenForNoList() {
        assertThatThrownBy(() -> parse("""
            listeners:
              - bind: 127.0.0.1:8080
                group: web
                allow:
            #      - 10.0.0.0/8
            groups:
              - name: web
                servers: [10.0.0.1:80]
            """)).isInstanceOf(ConfigFileException.class).hasMessage("niolb.yaml:4: listeners[0].allow: expected a "
            + "list (lines starting with '- '), got nothing: write [] for an empty one, or leave the key out");
        assertThat(parse(MINIMAL.replace("  - bind: 127.0.0.1:8080\n", "  - bind: 127.0.0.1:8080\n    allow: []\n"))
            .listeners().getFirst().limits().allow().isEmpty()).as("[] says it").isTrue();
    }

    @Test
    void aServerAtAnOwnAddressIsRefusedAtItsOwnLine() {
        assertThatThrownBy(() -> parse("""
            admin:
              address: 127.0.0.1:9901
            listeners:
              - bind: 127.0.0.1:8080
            groups:
              - name: web
                servers:
                  - 10.0.0.1:80
                  - 127.0.0.1:9901
            """)).hasMessage("niolb.yaml:9: groups[0].servers[1]: group 'web': server '127.0.0.1:9901' is at niolb's "
            + "own admin API (127.0.0.1:9901): the group's clients would reach it");
        assertThatThrownBy(() -> parse(MINIMAL + "      - 127.0.0.1:8080\n")).hasMessageStartingWith("niolb.yaml:7: ")
            .hasMessageContaining("is at niolb's own listener");
    }

    @Test
    void aListenerOfAFileWithoutGroupsSaysThereAreNone() {
        assertThatThrownBy(() -> parse("listeners:\n  - bind: 127.0.0.1:8080\ngroups: []\n"))
            .hasMessage("niolb.yaml:2: listeners[0]: needs a group, and the file defines none (groups: is empty)");
    }

    @Test
    void aSectionWithNothingWrittenInItIsRefusedNotTakenForTheDefaults() {
        assertThatThrownBy(() -> parse(MINIMAL + "admin:\n#  address: 127.0.0.1:9901\n"))
            .isInstanceOf(ConfigFileException.class).hasMessage("niolb.yaml:7: admin: expected a map (key: value "
                + "lines), got nothing: write {} for an empty one, or leave the key out");
        assertThat(parse(MINIMAL + "admin: {}\n").admin()).isEqualTo(AdminConfig.DEFAULT);
    }

    @Test
    void anAllowedHostWrittenFullyQualifiedWithItsFinalDotIsTheSameName() {
        assertThat(parse("admin:\n  allowed-hosts: [lb.example., LB.Example.com]\n" + MINIMAL).admin().allowedHosts())
            .containsExactly("lb.example", "lb.example.com");
    }

    @Test
    void aMetricsAddressMayRunWithTheAdminApiOffAndTakesTheAllowedHosts() {
        final Config config = parse("admin:\n  address: none\n  metrics-address: 127.0.0.1:9902\n"
            + "  allowed-hosts: metrics.example.com\n" + MINIMAL);

        assertThat(config.admin().enabled()).isFalse();
        assertThat(config.admin().metricsAddress()).isEqualTo(at("127.0.0.1", 9902));
        assertThat(config.admin().allowedHosts()).containsExactly("metrics.example.com");
        assertThat(parse(MINIMAL).admin().metricsAddress()).as("none unless asked").isNull();
        assertThat(parse("admin:\n  metrics-address: none\n" + MINIMAL).admin().metricsAddress()).isNull();
    }

    @Test
    void theAdminApiAndTheAccessLogAreSetAsTheirFlagsSetThem() {
        final Config config = parse("defaults:\n  access-log: json\nadmin:\n  address: 127.0.0.1:9901\n"
            + "  token-file: /etc/niolb/admin-token\n" + MINIMAL);
        assertThat(config.accessLog()).isEqualTo(AccessLogFormat.JSON);
        assertThat(config.admin()).isEqualTo(new AdminConfig(at("127.0.0.1", 9901), Path.of("/etc/niolb/admin-token"),
            true));
        assertThat(parse("admin:\n  address: none\n" + MINIMAL).admin()).isEqualTo(AdminConfig.NONE);
    }

    @Test
    void theDefaultAdminAddressMustBindWhenWrittenOutOrGuardedByAToken() {
        assertThat(parse(MINIMAL).admin()).isEqualTo(AdminConfig.DEFAULT);
        assertThat(AdminConfig.DEFAULT.required()).isFalse(); // left out, tokenless: a second niolb runs without it
        assertThat(parse("admin:\n  address: 127.0.0.1:9900\n" + MINIMAL).admin())
            .isEqualTo(new AdminConfig(AdminConfig.DEFAULT.address(), null, true));
        assertThat(parse("admin:\n  token-file: /etc/niolb/admin-token\n" + MINIMAL).admin())
            .isEqualTo(new AdminConfig(AdminConfig.DEFAULT.address(), Path.of("/etc/niolb/admin-token"), true));
    }

    @Test
    void serversByDnsNameAndTheDnsSectionAreReadAndWrittenBack() {
        final Config config = parse("""
            listeners:
              - bind: 127.0.0.1:8080
            groups:
              - name: web
                servers:
                  - 10.0.0.1:80
                  - api.internal:8080,weight=2
                  - srv:_api._tcp.example.org
                  - address: db.internal:5432
                    name: db
                    backup: true
            dns:
              resolver: 127.0.0.1:5353
              min-ttl: 500ms
              max-ttl: 1m
            """);

        final TargetGroupConfig web = config.groups().getFirst();
        assertThat(web.servers()).extracting(ServerConfig::name).containsExactly("10.0.0.1:80");
        assertThat(web.dnsServers()).containsExactly(DnsServerSpec.parse("api.internal:8080,weight=2"),
            DnsServerSpec.parse("srv:_api._tcp.example.org"), DnsServerSpec.parse("db.internal:5432,name=db,backup"));
        assertThat(config.dns()).isEqualTo(DnsConfig.DEFAULTS.withResolver(at("127.0.0.1", 5353))
            .withTtl(Duration.ofMillis(500), Duration.ofMinutes(1)));
        assertThat(ConfigFile.parse(ConfigWriter.write(config), "effective.yaml")).isEqualTo(config);
        assertThat(parse(MINIMAL).dns()).isEqualTo(DnsConfig.DEFAULTS);
        assertThat(ConfigFile.parse(ConfigWriter.write(parse(MINIMAL)), "effective.yaml")).isEqualTo(parse(MINIMAL));
    }

    @Test
    void aBadDnsKeyNamesItsLine() {
        assertThatThrownBy(() -> parse(MINIMAL + "dns:\n  min-ttl: 10ms\n"))
            .hasMessageContaining("niolb.yaml:").hasMessageContaining("min-ttl");
    }

    @Test
    void aMinTtlAboveTheDefaultMaxTtlIsTakenBesideAHigherMaxTtl() {
        final Config config = parse(MINIMAL + "dns:\n  min-ttl: 10m\n  max-ttl: 1h\n");

        assertThat(config.dns()).isEqualTo(DnsConfig.DEFAULTS.withTtl(Duration.ofMinutes(10), Duration.ofHours(1)));
    }

    @Test
    void aMinTtlAboveTheDefaultMaxTtlAloneIsRefusedAtItsLine() {
        assertThatThrownBy(() -> parse(MINIMAL + "dns:\n  min-ttl: 10m\n"))
            .hasMessageStartingWith("niolb.yaml:8: dns.min-ttl: ").hasMessageEndingWith("dns max-ttl 5m is below min-ttl 10m");
    }

    @Test
    void aMaxTtlBelowTheMinTtlBesideItIsRefusedAtTheMaxTtlLine() {
        assertThatThrownBy(() -> parse(MINIMAL + "dns:\n  max-ttl: 2m\n  min-ttl: 10m\n"))
            .hasMessageStartingWith("niolb.yaml:8: dns.max-ttl: ").hasMessageEndingWith("dns max-ttl 2m is below min-ttl 10m");
    }

    @Test
    void defaultsApplyToEveryListenerAndGroupThatDoesNotOverrideThem() {
        final Config config = parse("""
            defaults:
              threads: 3
              grace: 5s
              idle-timeout: 1h
              retries: 1
              balance: leastconn
              check-interval: 500ms
            listeners:
              - bind: 127.0.0.1:8080
                group: web
              - bind: 127.0.0.1:8081
                group: db
                idle-timeout: 8h
            groups:
              - name: web
                servers: [10.0.0.1:80]
              - name: db
                balance: source
                servers: [10.0.0.2:5432]
            """);

        assertThat(config.threads()).isEqualTo(3);
        assertThat(config.grace()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.listeners()).extracting(l -> l.tcp().idleTimeout())
            .containsExactly(Duration.ofHours(1), Duration.ofHours(8));
        assertThat(config.listeners()).extracting(l -> l.tcp().retries()).containsExactly(1, 1);
        assertThat(config.listeners()).extracting(l -> l.udp().retries()).containsExactly(1, 1);
        assertThat(config.groups()).extracting(TargetGroupConfig::balance)
            .containsExactly(Algorithm.LEASTCONN, Algorithm.SOURCE);
        assertThat(config.groups()).extracting(g -> g.health().interval()).containsOnly(Duration.ofMillis(500));
    }

    @Test
    void aPanicThresholdInDefaultsAppliesToEveryGroupThatDoesNotSetItsOwn() {
        final Config config = parse("""
            defaults:
              panic-threshold: 50
            listeners:
              - bind: 127.0.0.1:8080
                group: web
              - bind: 127.0.0.1:8081
                group: db
            groups:
              - name: web
                servers: [10.0.0.1:80]
              - name: db
                panic-threshold: 0
                servers: [10.0.0.2:5432]
            """);

        assertThat(config.groups()).extracting(g -> g.health().panicThreshold()).containsExactly(50, 0);
    }

    @Test
    void aServerMayBeWrittenAsForTheFlagOrAsAMap() {
        final Config config = parse("""
            listeners:
              - bind: 127.0.0.1:8080
            groups:
              - name: web
                servers:
                  - 10.0.0.1:80,weight=3,name=a,backup,check-port=8081
                  - address: 10.0.0.2:80
                    name: b
                    weight: 3
                    backup: true
                    check-port: 8081
            """);

        assertThat(config.groups().getFirst().servers()).containsExactly(
            new ServerConfig("a", at("10.0.0.1", 80), 3, true, 8081),
            new ServerConfig("b", at("10.0.0.2", 80), 3, true, 8081));
    }

    @Test
    void aUdpListenerIsNamedByItsBindSchemeOrByProtocol() {
        final Config config = parse("""
            listeners:
              - bind: udp://127.0.0.1:53
                udp-responses: 1
              - bind: 127.0.0.1:54
                protocol: udp
                udp-max-flows: 1000
              - name: dns-tcp
                bind: 127.0.0.1:53
            groups:
              - name: dns
                servers: 10.0.0.1:53
            """);

        assertThat(config.listeners()).extracting(ListenerConfig::name, ListenerConfig::protocol).containsExactly(
            org.assertj.core.groups.Tuple.tuple("udp://127.0.0.1:53", Protocol.UDP),
            org.assertj.core.groups.Tuple.tuple("udp://127.0.0.1:54", Protocol.UDP),
            org.assertj.core.groups.Tuple.tuple("dns-tcp", Protocol.TCP));
        assertThat(config.listeners().get(0).udp()).isEqualTo(UdpOptions.DEFAULTS.withResponses(1));
        assertThat(config.listeners().get(1).udp()).isEqualTo(UdpOptions.DEFAULTS.withMaxFlows(1000));
    }

    @Test
    void checksAreWrittenAsForTheFlagOneOrAList() {
        final String one = MINIMAL.replace("    servers:", "    checks: tcp\n    servers:");
        final String two = MINIMAL.replace("    servers:", "    checks: [\"http:/health,status=200\", agent:9999]\n    servers:");

        assertThat(parse(one).groups().getFirst().health().checks()).containsExactly(new CheckSpec.Tcp());
        assertThat(parse(two).groups().getFirst().health().checks()).containsExactly(
            new CheckSpec.Http("GET", "/health", null, 200, 200), new CheckSpec.Agent(9999));
    }

    @Test
    void autoIsReadInAnyCaseAndAnythingElseIsRefusedNamingIt() {
        assertThat(parse("defaults:\n  threads: AUTO\n" + MINIMAL).threadsAuto()).isTrue();
        assertThatThrownBy(() -> parse("defaults:\n  threads: many\n" + MINIMAL))
            .hasMessageEndingWith("defaults.threads: must be auto or a whole number 1..256, got 'many'");
    }

    @Test
    void threadsAndUdpMaxFlowsMayBeLeftToNiolbWithAuto() {
        final Config config = parse("defaults:\n  threads: auto\n  udp-max-flows: auto\n" + MINIMAL);

        assertThat(config.threads()).isEqualTo(Config.defaultThreads());
        assertThat(config.listeners().getFirst().udp().maxFlows()).isZero();
    }

    @Test
    void groupOptionsReachTheHealthConfig() {
        final Config config = parse("""
            listeners:
              - bind: 127.0.0.1:8080
            groups:
              - name: web
                checks: [tcp]
                check-interval: 3s
                check-timeout: 2s
                rise: 4
                fall: 5
                max-fails: 0
                slowstart: 1m
                drain-timeout: 30s
                drain-rate: 10
                panic-threshold: 40
                servers: [10.0.0.1:80]
            """);

        assertThat(config.groups().getFirst().health()).isEqualTo(new HealthCheckConfig(List.of(new CheckSpec.Tcp()),
            Duration.ofSeconds(3), Duration.ofSeconds(2), 4, 5, Duration.ofMinutes(1), 0, Duration.ofSeconds(30), 10,
            40));
    }

    @Test
    void proxyProtocolKeysReachListenersAndServers() {
        final Config config = parse("""
            defaults:
              accept-proxy-from: 10.0.0.0/8
              proxy-header-timeout: 2s
            listeners:
              - bind: 127.0.0.1:8080
                proxy-header-max: 1k
              - bind: 127.0.0.1:8081
                accept-proxy-from: [192.0.2.0/24, "2001:db8::/32"]
              - bind: 127.0.0.1:8082
                accept-proxy: false
              - bind: 127.0.0.1:8083
            groups:
              - name: web
                servers:
                  - 10.0.0.1:80,send-proxy
                  - address: 10.0.0.2:80
                    send-proxy: v2
                    proxy-udp: every
                  - address: 10.0.0.3:80
                    send-proxy: none
            """);

        final AcceptProxy base = new AcceptProxy(true, CidrSet.parse(List.of("10.0.0.0/8")), Duration.ofSeconds(2), 4096);
        assertThat(config.listeners()).extracting(ListenerConfig::acceptProxy).containsExactly(
            base.withMaxHeaderLength(1024),
            base.withTrusted(CidrSet.parse(List.of("192.0.2.0/24", "2001:db8::/32"))),
            base.withEnabled(false),
            base);
        assertThat(config.groups().getFirst().servers()).extracting(ServerConfig::sendProxy).containsExactly(
            SendProxy.V1, new SendProxy(SendProxy.Version.V2, SendProxy.UdpMode.EVERY), SendProxy.NONE);
    }

    @Test
    void anEmptyAcceptProxyFromTrustsNobodyAndNoListTrustsEveryPeer() throws Exception {
        final Config config = parse("""
            defaults:
              accept-proxy-from: 10.0.0.0/8
            listeners:
              - bind: 127.0.0.1:8080
                accept-proxy-from: []
              - bind: 127.0.0.1:8081
                accept-proxy-from: []
                accept-proxy: true
              - bind: 127.0.0.1:8082
                accept-proxy: true
            groups:
              - name: web
                servers: [10.0.0.1:80]
            """);

        assertThat(config.listeners()).extracting(ListenerConfig::acceptProxy).containsExactly(
            AcceptProxy.from(CidrSet.EMPTY), AcceptProxy.from(CidrSet.EMPTY), AcceptProxy.from(CidrSet.parse(List.of("10.0.0.0/8"))));
        assertThat(config.listeners().get(0).acceptProxy().expectsHeaderFrom(java.net.InetAddress.getByName("10.0.0.1")))
            .isFalse();
        assertThat(parse("""
            listeners:
              - bind: 127.0.0.1:8080
                accept-proxy: true
            groups:
              - name: web
                servers: [10.0.0.1:80]
            """).listeners().getFirst().acceptProxy()).isEqualTo(AcceptProxy.fromAnyPeer());
    }

    @Test
    void accessListsAndLimitsAreListenerOptionsAndTheProcessCapIsInDefaults() {
        final Config config = parse("""
            defaults:
              maxconn: 5000
              deny: 192.0.2.0/24
              source-maxconn: 10
            listeners:
              - bind: 127.0.0.1:8080
                allow: [10.0.0.0/8, "2001:db8::/32"]
                listener-maxconn: 100
                source-rate: 5/s,burst=20
                source-table-size: 1024
              - bind: 127.0.0.1:8081
            groups:
              - name: web
                servers: [10.0.0.1:80]
            """);

        assertThat(config.maxconn()).isEqualTo(5000);
        assertThat(config.listeners().get(0).limits()).isEqualTo(new dev.niolb.config.ListenerLimits(
            dev.niolb.admission.CidrSet.parse(List.of("10.0.0.0/8", "2001:db8::/32")),
            dev.niolb.admission.CidrSet.parse(List.of("192.0.2.0/24")), 100, 10,
            dev.niolb.config.SourceRate.parse("5/s,burst=20"), 1024));
        assertThat(config.listeners().get(1).limits()).isEqualTo(dev.niolb.config.ListenerLimits.NONE
            .withAccess(dev.niolb.admission.CidrSet.EMPTY, dev.niolb.admission.CidrSet.parse(List.of("192.0.2.0/24")))
            .withSourceMaxconn(10));
    }

    @Test
    void blocksMayBeOneStringSeparatedByCommasAsTheFlagsTakeThem() {
        final Config config = parse("defaults:\n  allow: \"127.0.0.1, 127.0.0.5\"\n  deny: [192.0.2.0/24,198.51.100.7]\n"
            + MINIMAL);

        assertThat(config.listeners().getFirst().limits().allow())
            .isEqualTo(dev.niolb.admission.CidrSet.parse(List.of("127.0.0.1", "127.0.0.5")));
        assertThat(config.listeners().getFirst().limits().deny())
            .isEqualTo(dev.niolb.admission.CidrSet.parse(List.of("192.0.2.0/24", "198.51.100.7")));
    }

    @Test
    void anEmptyBlockBetweenCommasIsRefusedNotSkipped() {
        assertThatThrownBy(() -> parse("defaults:\n  allow: \"127.0.0.1,\"\n" + MINIMAL))
            .isInstanceOf(ConfigFileException.class)
            .hasMessage("niolb.yaml:2: defaults.allow: bad CIDR '': expected an IPv4 or IPv6 address[/length]");
    }

    @Test
    void aFloatOfWholeValueIsReadAsThatWholeNumberAsJsonSchemaTakesIt() {
        final Config c = ConfigFile.parse("defaults:\n  retries: 2.0\n  buffer-size: 1.6e4\n  grace: 0.0\n"
            + "  backlog: +128\n" + MINIMAL, "niolb.yaml");
        assertThat(c.listeners().getFirst().tcp().backlog()).as("a plus sign, as YAML 1.2 reads it").isEqualTo(128);
        assertThat(c.listeners().getFirst().tcp().retries()).isEqualTo(2);
        assertThat(c.listeners().getFirst().tcp().bufferSize()).isEqualTo(16_000);
        assertThat(c.grace()).isZero();
    }

    static Stream<Arguments> mistakes() {
        return Stream.of(
            arguments("a YAML syntax error", "listeners: [\n", "niolb.yaml:2: not valid YAML: "),
            arguments("a tag that decodes to a space (SnakeYAML's IllegalArgumentException)", "!%0",
                "niolb.yaml: not valid YAML: Tag must not contain leading or trailing spaces"),
            arguments("an empty file", "", "niolb.yaml:1: empty: expected listeners and groups"),
            arguments("a document that is a list", "- a\n", "niolb.yaml:1: expected a map (key: value lines), got a list"),
            arguments("a misspelt section", MINIMAL.replace("groups:", "grups:"),
                "niolb.yaml:3: unknown key 'grups' (did you mean groups?)"),
            arguments("nginx's fail_timeout, which is close to an unrelated key",
                MINIMAL.replace("name: web", "name: web\n    fail_timeout: 10s"),
                "niolb.yaml:5: groups[0]: unknown key 'fail_timeout' (nginx's fail_timeout has no equivalent: "
                    + "max-fails counts failures in a row, and a server they took DOWN is tried again every "
                    + "check-interval)"),
            arguments("a backups mode that is neither all nor first", MINIMAL.replace("name: web", "name: web\n    backups: second"),
                "niolb.yaml:5: groups[0].backups: must be all or first, got 'second'"),
            arguments("a buffer size past an int, in the key's own range as the flag says it",
                "defaults:\n  buffer-size: 3000000000\n" + MINIMAL,
                "niolb.yaml:2: defaults.buffer-size: must be 1KiB..16MiB, got 3000000000"),
            arguments("a socket buffer past an int in megabytes", "defaults:\n  tcp-rcvbuf: 4096m\n" + MINIMAL,
                "niolb.yaml:2: defaults.tcp-rcvbuf: must be 0 (the kernel's autotuning) or 4k..1024m, got 4096m"),
            arguments("HAProxy's word order for a timeout", "defaults:\n  timeout-connect: 5s\n" + MINIMAL,
                "niolb.yaml:2: defaults: unknown key 'timeout-connect' (HAProxy's timeout connect is connect-timeout)"),
            arguments("a misspelt server key", MINIMAL.replace("- 10.0.0.1:80", "- {address: 10.0.0.1:80, wieght: 3}"),
                "niolb.yaml:6: groups[0].servers[0]: unknown key 'wieght' (did you mean weight?)"),
            arguments("a weight out of range", MINIMAL.replace("- 10.0.0.1:80", "- 10.0.0.1:80\n      - address: 10.0.0.2:80\n        weight: 900"),
                "niolb.yaml:8: groups[0].servers[1].weight: must be 0..256, got 900"),
            arguments("a bad server spec", MINIMAL.replace("- 10.0.0.1:80", "- 10.0.0.1:80,weight=900"),
                "niolb.yaml:6: groups[0].servers[0]: server '10.0.0.1:80,weight=900': weight must be 0..256, got 900"),
            arguments("a record's refusal in defaults", "defaults:\n  retries: 40\n" + MINIMAL,
                "niolb.yaml:2: defaults.retries: must be 0..32, got 40"),
            arguments("a record's refusal in a listener", MINIMAL.replace("8080", "8080\n    buffer-size: 16"),
                "niolb.yaml:3: listeners[0].buffer-size: must be 1KiB..16MiB, got 16"),
            arguments("an option for another algorithm", MINIMAL.replace("name: web", "name: web\n    hash-balance-factor: 125"),
                "niolb.yaml:5: groups[0].hash-balance-factor: applies to balance source only, not roundrobin"),
            arguments("a duration without a unit", MINIMAL.replace("8080", "8080\n    idle-timeout: 5"),
                "niolb.yaml:3: listeners[0].idle-timeout: bad duration '5': unit must be ms, s, m, h or d"),
            arguments("yes for a boolean", MINIMAL.replace("8080", "8080\n    keepalive: yes"),
                "niolb.yaml:3: listeners[0].keepalive: must be true or false, got 'yes'"),
            arguments("a word for a number", "defaults:\n  backlog: lots\n" + MINIMAL,
                "niolb.yaml:2: defaults.backlog: must be a whole number, got 'lots'"),
            arguments("a fraction for a number", "defaults:\n  retries: 2.5\n" + MINIMAL,
                "niolb.yaml:2: defaults.retries: must be a whole number, got '2.5'"),
            arguments("a whole number too large for any range", "defaults:\n  retries: 9223372036854775808\n" + MINIMAL,
                "niolb.yaml:2: defaults.retries: must be 0..32, got 9223372036854775808"),
            arguments("a listener-maxconn past an int", MINIMAL.replace("8080", "8080\n    listener-maxconn: 3000000000"),
                "niolb.yaml:3: listeners[0].listener-maxconn: must be 0..10000000, got 3000000000"),
            arguments("a drain-rate below an int", "defaults:\n  drain-rate: -3000000000\n" + MINIMAL,
                "niolb.yaml:2: defaults.drain-rate: must be 0..1000000 per second, got -3000000000"),
            arguments("a hash-balance-factor past an int", MINIMAL.replace("name: web", "name: web\n    balance: source\n    hash-balance-factor: 3000000000"),
                "niolb.yaml:6: groups[0].hash-balance-factor: must be 101..10000 (percent), or 0 for none, got 3000000000"),
            arguments("a hash-balance-factor just past its range", MINIMAL.replace("name: web", "name: web\n    balance: source\n    hash-balance-factor: 10001"),
                "niolb.yaml:6: groups[0].hash-balance-factor: must be 101..10000 (percent), or 0 for none, got 10001"),
            arguments("a maxconn past an int", "defaults:\n  maxconn: 2147483648\n" + MINIMAL,
                "niolb.yaml:2: defaults.maxconn: must be 0..10000000, got 2147483648"),
            arguments("a float too large to be made whole", "defaults:\n  retries: 1e999999999\n" + MINIMAL,
                "niolb.yaml:2: defaults.retries: must be a whole number, got '1e999999999'"),
            arguments("zero threads", "defaults:\n  threads: 0\n" + MINIMAL,
                "niolb.yaml:2: defaults.threads: must be 1..256, got 0"),
            arguments("zero udp max flows", "defaults:\n  udp-max-flows: 0\n" + MINIMAL,
                "niolb.yaml:2: defaults.udp-max-flows: must be 1..10000000, got 0"),
            arguments("a listener without bind", MINIMAL.replace("- bind: 127.0.0.1:8080", "- name: x"),
                "niolb.yaml:2: listeners[0]: needs 'bind'"),
            arguments("a bad bind address", MINIMAL.replace("127.0.0.1:8080", "127.0.0.1"),
                "niolb.yaml:2: listeners[0].bind: bad address '127.0.0.1': expected HOST:PORT"),
            arguments("an unquoted IPv6 address", MINIMAL.replace("127.0.0.1:8080", "[::1]:8080"),
                "write an IPv6 address in quotes"),
            arguments("a protocol the bind contradicts", MINIMAL.replace("8080", "8080\n    protocol: udp").replace("- bind: ", "- bind: tcp://"),
                "niolb.yaml:3: listeners[0].protocol: is udp but bind says tcp://"),
            arguments("an unknown protocol", MINIMAL.replace("8080", "8080\n    protocol: sctp"),
                "niolb.yaml:3: listeners[0].protocol: must be tcp or udp, got 'sctp'"),
            arguments("a misspelt group", MINIMAL.replace("8080", "8080\n    group: wbe"),
                "niolb.yaml:3: listeners[0].group: no group named 'wbe' (did you mean web?)"),
            arguments("no group named when there are two", MINIMAL + "  - name: db\n    servers: 10.0.0.2:5432\n",
                "niolb.yaml:2: listeners[0]: needs 'group': one of web, db"),
            arguments("a group defined twice", MINIMAL + "  - name: web\n    servers: 10.0.0.2:80\n",
                "niolb.yaml:7: groups[1]: group 'web' is defined twice"),
            arguments("a listener defined twice", MINIMAL.replace("- bind: 127.0.0.1:8080", "- bind: 127.0.0.1:8080\n  - bind: 127.0.0.1:8080"),
                "niolb.yaml:3: listeners[1]: listener 'tcp://127.0.0.1:8080' is defined twice"),
            arguments("a server given twice", MINIMAL.replace("- 10.0.0.1:80", "- 10.0.0.1:80\n      - 10.0.0.1:80"),
                "niolb.yaml:4: groups[0]: group 'web': server '10.0.0.1:80' appears twice"),
            arguments("a group without servers", MINIMAL.replace("      - 10.0.0.1:80\n", "").replace("servers:", "servers: []"),
                "niolb.yaml:4: groups[0]: group 'web': needs at least one server"),
            arguments("no listeners", MINIMAL.replace("  - bind: 127.0.0.1:8080\n", "").replace("listeners:", "listeners: []"),
                "niolb.yaml:1: needs at least one listener"),
            arguments("two health checks", MINIMAL.replace("    servers:", "    checks: [tcp, \"http:/\"]\n    servers:"),
                "niolb.yaml:5: groups[0].checks: at most one health check (tcp, http, send, dns) and one agent check"),
            arguments("an unknown check", MINIMAL.replace("    servers:", "    checks: ping\n    servers:"),
                "niolb.yaml:5: groups[0].checks: bad check 'ping'"),
            arguments("an unknown algorithm", MINIMAL.replace("    servers:", "    balance: fastest\n    servers:"),
                "niolb.yaml:5: groups[0].balance: unknown balance algorithm 'fastest'"),
            arguments("a key given twice", MINIMAL.replace("    servers:", "    name: db\n    servers:"),
                "niolb.yaml:5: groups[0]: key 'name' given twice (first on line 4)"),
            arguments("a bad trusted proxy block", MINIMAL.replace("8080", "8080\n    accept-proxy-from: 10.0.0.0/40"),
                "niolb.yaml:3: listeners[0].accept-proxy-from: bad CIDR '10.0.0.0/40': prefix length must be 0..32"),
            arguments("an unknown PROXY version", MINIMAL.replace("- 10.0.0.1:80", "- {address: 10.0.0.1:80, send-proxy: v3}"),
                "niolb.yaml:6: groups[0].servers[0].send-proxy: must be v1, v2 or none, got 'v3'"),
            arguments("proxy-udp without v2", MINIMAL.replace("- 10.0.0.1:80", "- {address: 10.0.0.1:80, proxy-udp: every}"),
                "niolb.yaml:6: groups[0].servers[0].proxy-udp: needs send-proxy-v2 (v1 is TCP only)"),
            arguments("a v1 header to a UDP listener's server", MINIMAL.replace("127.0.0.1:8080", "udp://127.0.0.1:53")
                    .replace("- 10.0.0.1:80", "- 10.0.0.1:53,send-proxy"),
                "niolb.yaml:6: groups[0].servers[0]: server 10.0.0.1:53: send-proxy (v1) is TCP only, and group 'web' "
                    + "serves a UDP listener: use send-proxy-v2"),
            arguments("two listeners on one address", MINIMAL.replace("  - bind: 127.0.0.1:8080\n",
                    "  - bind: 127.0.0.1:8080\n  - {name: again, bind: 127.0.0.1:8080}\n"),
                "niolb.yaml:3: listeners[1]: listeners 'tcp://127.0.0.1:8080' and 'again' both bind tcp://127.0.0.1:8080"),
            arguments("a group key in a listener", MINIMAL.replace("8080", "8080\n    balance: source"),
                "niolb.yaml:3: listeners[0]: unknown key 'balance'"),
            arguments("a host name in an access list", MINIMAL.replace("8080", "8080\n    deny: [10.0.0.0/8, evil.example]"),
                "niolb.yaml:3: listeners[0].deny[1]: bad CIDR 'evil.example': expected an IPv4 or IPv6 address[/length]"),
            arguments("a source rate without a period", MINIMAL.replace("8080", "8080\n    source-rate: 10"),
                "niolb.yaml:3: listeners[0].source-rate: bad source rate '10'"),
            arguments("a negative listener maxconn", "defaults:\n  listener-maxconn: -1\n" + MINIMAL,
                "niolb.yaml:2: defaults.listener-maxconn: must be 0..10000000, got -1"),
            arguments("a server maxconn out of range", MINIMAL.replace("- 10.0.0.1:80", "- {address: 10.0.0.1:80, maxconn: -2}"),
                "niolb.yaml:6: groups[0].servers[0].maxconn: must be 0..10000000, got -2"),
            arguments("a listener's cap written as the process's", MINIMAL.replace("8080", "8080\n    maxconn: 10"),
                "niolb.yaml:3: listeners[0].maxconn: a listener's cap is listener-maxconn (maxconn, in defaults, caps the"
                    + " whole process)"),
            arguments("a bad admin address", "admin:\n  address: 9900\n" + MINIMAL,
                "niolb.yaml:2: admin.address: bad address '9900': expected HOST:PORT (or none)"),
            arguments("a bad metrics address", "admin:\n  metrics-address: udp://127.0.0.1:9902\n" + MINIMAL,
                "niolb.yaml:2: admin.metrics-address: bad admin address 'udp://127.0.0.1:9902': the admin API is HTTP"
                    + " over TCP"),
            arguments("the metrics address on the admin address", "admin:\n  address: 127.0.0.1:9901\n"
                + "  metrics-address: 127.0.0.1:9901\n" + MINIMAL,
                "niolb.yaml:2: admin: the metrics address must differ from the admin address 127.0.0.1:9901"),
            arguments("the metrics address on the admin address's wildcard", "admin:\n  address: 127.0.0.1:9901\n"
                + "  metrics-address: 0.0.0.0:9901\n" + MINIMAL,
                "niolb.yaml:2: admin: the metrics address 0.0.0.0:9901 and the admin address 127.0.0.1:9901 overlap on "
                    + "one port: give them different ports"),
            arguments("a misspelt admin key", "admin:\n  adress: 127.0.0.1:9900\n" + MINIMAL,
                "niolb.yaml:2: admin: unknown key 'adress' (did you mean address?)"),
            arguments("a token file without an admin API", "admin:\n  address: none\n  token-file: /t\n" + MINIMAL,
                "niolb.yaml:2: admin: an admin token file needs the admin API, not admin address none"),
            arguments("an allowed admin host with a port", "admin:\n  allowed-hosts: [lb.example.com:9900]\n" + MINIMAL,
                "niolb.yaml:2: admin.allowed-hosts[0]: bad admin host name 'lb.example.com:9900'"),
            arguments("an unknown access log format", "defaults:\n  access-log: xml\n" + MINIMAL,
                "niolb.yaml:2: defaults.access-log: bad access log format 'xml': expected off, plain or json"),
            arguments("an unknown splice mode", "defaults:\n  splice: sometimes\n" + MINIMAL,
                "niolb.yaml:2: defaults.splice: unknown splice mode 'sometimes': expected auto, always or never"),
            arguments("a panic threshold over 100", "defaults:\n  panic-threshold: 150\n" + MINIMAL,
                "niolb.yaml:2: defaults.panic-threshold: must be 0..100 (percent of a group's primary"
                    + " servers; 0 off), got 150"),
            arguments("a transport this build does not have", "defaults:\n  transport: dpdk\n" + MINIMAL,
                "niolb.yaml:2: defaults.transport: unknown transport 'dpdk': expected auto, epoll or nio"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mistakes")
    void eachMistakeIsOneLineNamingTheFileTheLineAndTheKey(final String what, final String yaml, final String expected) {
        assertThatThrownBy(() -> parse(yaml))
            .isInstanceOf(ConfigFileException.class)
            .hasMessageContaining(expected)
            .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").startsWith("niolb.yaml:"));
    }

    @Test
    void aFileThatIsNotThereIsOneLine(@TempDir final Path dir) {
        final Path missing = dir.resolve("nope.yaml");

        assertThatThrownBy(() -> new ConfigFile(missing).load())
            .hasMessage("cannot read " + missing + ": no such file");
    }

    @Test
    void anEmptyPathIsSaidToBeEmptyNotToBeADirectory() {
        assertThatThrownBy(() -> new ConfigFile(Path.of("")).load())
            .hasMessage("cannot read the config file: its path is empty");
    }

    @Test
    void anEmptyListenerNameInTheFileIsRefusedAtItsLine() {
        final String yaml = MINIMAL.replaceFirst("(?m)^  - ", "  - name: ''\n    ");
        assertThatThrownBy(() -> ConfigFile.parse(yaml, "niolb.yaml")).hasMessageContaining("niolb.yaml:")
            .hasMessageEndingWith("listener name '': must not be empty");
    }

    @Test
    @org.junit.jupiter.api.Timeout(10)
    void aReloadOfANamedPipeIsRefusedWithoutWaitingForAWriter(@TempDir final Path dir) throws Exception {
        final Path fifo = dir.resolve("niolb.yaml");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();

        assertThatThrownBy(() -> new ConfigFile(fifo).reload())
            .hasMessage("cannot read " + fifo + ": a named pipe (FIFO), not a file");
    }

    @Test
    void aFileThatIsNotUtf8IsRefused(@TempDir final Path dir) throws IOException {
        final Path latin1 = Files.write(dir.resolve("l.yaml"), new byte[] {'a', ':', ' ', (byte) 0xe9, '\n'});

        assertThatThrownBy(() -> new ConfigFile(latin1).load()).hasMessage("cannot read " + latin1 + ": not UTF-8 text");
    }

    @Test
    void aFileIsReadAgainOnEveryLoad(@TempDir final Path dir) throws IOException {
        final Path file = Files.writeString(dir.resolve("niolb.yaml"), MINIMAL);
        final ConfigFile source = new ConfigFile(file);
        final Config first = source.load();

        Files.writeString(file, MINIMAL.replace("10.0.0.1:80", "10.0.0.9:80"));

        assertThat(source.load()).isNotEqualTo(first);
        assertThat(source.load().groups().getFirst().servers().getFirst().address()).isEqualTo(at("10.0.0.9", 80));
        assertThat(source.describe()).isEqualTo(file.toString());
    }
}
