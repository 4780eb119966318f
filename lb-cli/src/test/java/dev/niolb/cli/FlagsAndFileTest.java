package dev.niolb.cli;

import dev.niolb.config.Config;
import dev.niolb.config.file.ConfigFile;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Flags and file are one model: the same options written either way give equal {@link Config}s. */
class FlagsAndFileTest {
    /** Every flag of {@code niolb run}, each away from its default. */
    static final String[] EVERY_FLAG = {
        "--listen", "127.0.0.1:9000", "--listen", "udp://127.0.0.1:9053",
        "--server", "10.0.0.1:80,weight=3,name=a,check-port=8081,maxconn=100",
        "--server", "10.0.0.2:80,backup,send-proxy-v2,proxy-udp=every",
        "--server", "api.internal:8080,weight=2,send-proxy,maxconn=7", "--resolver", "127.0.0.1:5353",
        "--balance", "source", "--hash-balance-factor", "125",
        "--check", "http:/health", "--check", "agent:9999", "--check-interval", "500ms", "--check-timeout", "200ms",
        "--rise", "4", "--fall", "5", "--max-fails", "7", "--slowstart", "30s", "--drain-timeout", "1m",
        "--drain-rate", "50", "--panic-threshold", "25", "--close-on-down", "--backups", "first",
        "--threads", "3", "--transport", "nio", "--busy-poll", "50us", "--grace", "9s", "--shutdown-delay", "5s",
        "--connect-timeout", "250ms", "--idle-timeout", "1h", "--retries", "5", "--no-nodelay", "--keepalive",
        "--backlog", "50", "--buffer-size", "16k", "--max-connection-age", "10m", "--splice", "never",
        "--defer-accept", "--tcp-rcvbuf", "256k", "--tcp-sndbuf", "1m",
        "--udp-idle-timeout", "5s", "--udp-responses", "1", "--udp-max-flows", "1000", "--udp-rcvbuf", "4m",
        "--accept-proxy", "--accept-proxy-from", "10.0.0.0/8", "--accept-proxy-from", "192.0.2.1",
        "--proxy-header-timeout", "2s", "--proxy-header-max", "1k",
        "--allow", "10.0.0.0/8,2001:db8::/32", "--deny", "10.6.6.0/24", "--maxconn", "10000",
        "--listener-maxconn", "500", "--source-maxconn", "20", "--source-rate", "10/s,burst=30",
        "--source-table-size", "4096",
        "--admin", "127.0.0.1:9901", "--admin-token-file", "/etc/niolb/admin-token", "--metrics-address", "0.0.0.0:9902",
        "--admin-allowed-host", "lb.example.com", "--admin-allowed-host", "[2001:db8::7]", "--access-log", "json",
        "--access-log-file", "/var/log/niolb/access.log", "--access-log-max-size", "10m",
        "--access-log-max-history", "30", "--syslog", "udp://127.0.0.1:5514", "--syslog-facility", "local3"};

    /** The same, as a file: listener options in defaults, group options in the group. */
    static final String SAME_AS_FILE = """
        defaults:
          threads: 3
          transport: nio
          busy-poll: 50us
          grace: 9s
          shutdown-delay: 5s
          maxconn: 10000
          connect-timeout: 250ms
          idle-timeout: 1h
          retries: 5
          nodelay: false
          keepalive: true
          backlog: 50
          buffer-size: 16k
          max-connection-age: 10m
          splice: never
          defer-accept: true
          tcp-rcvbuf: 256k
          tcp-sndbuf: 1m
          udp-idle-timeout: 5s
          udp-responses: 1
          udp-max-flows: 1000
          udp-rcvbuf: 4m
          accept-proxy: true
          accept-proxy-from: [10.0.0.0/8, 192.0.2.1]
          proxy-header-timeout: 2s
          proxy-header-max: 1k
          allow: [10.0.0.0/8, "2001:db8::/32"]
          deny: 10.6.6.0/24
          listener-maxconn: 500
          source-maxconn: 20
          source-rate: 10/s,burst=30
          source-table-size: 4096
          access-log: json
          access-log-file: /var/log/niolb/access.log
          access-log-max-size: 10m
          access-log-max-history: 30
          syslog: udp://127.0.0.1:5514
          syslog-facility: local3
        admin:
          address: 127.0.0.1:9901
          token-file: /etc/niolb/admin-token
          metrics-address: 0.0.0.0:9902
          allowed-hosts: [lb.example.com, "2001:db8::7"]
        listeners:
          - bind: 127.0.0.1:9000
          - bind: udp://127.0.0.1:9053
        groups:
          - name: default
            balance: source
            hash-balance-factor: 125
            checks:
              - http:/health
              - agent:9999
            check-interval: 500ms
            check-timeout: 200ms
            rise: 4
            fall: 5
            max-fails: 7
            slowstart: 30s
            drain-timeout: 1m
            drain-rate: 50
            panic-threshold: 25
            close-on-down: true
            backups: first
            servers:
              - 10.0.0.1:80,weight=3,name=a,check-port=8081,maxconn=100
              - address: 10.0.0.2:80
                backup: true
                send-proxy: v2
                proxy-udp: every
              - address: api.internal:8080
                weight: 2
                send-proxy: v1
                maxconn: 7
        dns:
          resolver: 127.0.0.1:5353
        """;

    /** Parses {@code niolb run ARGS} and builds the config, without starting anything. */
    private static Config flags(final String... args) {
        final CommandLine cmd = Main.commandLine();
        cmd.parseArgs(Stream.concat(Stream.of("run"), Stream.of(args)).toArray(String[]::new));
        final RunCommand run = cmd.getSubcommands().get("run").getCommand();
        return run.toConfig();
    }

    @Test
    void aFileWithEveryKeyGivesTheConfigOfTheFlagsItNames() {
        assertThat(ConfigFile.parse(SAME_AS_FILE, "every.yaml")).isEqualTo(flags(EVERY_FLAG));
    }

    @Test
    void theDefaultsOfFlagsAndFileAreTheSame() {
        assertThat(ConfigFile.parse("""
            listeners:
              - bind: 127.0.0.1:9000
            groups:
              - name: default
                servers: [10.0.0.1:80]
            """, "minimal.yaml")).isEqualTo(flags("--listen", "127.0.0.1:9000", "--server", "10.0.0.1:80"));
    }

    /** A flag added to {@code run} without a key in the file fails here until it is added to both. */
    @Test
    void everyRunFlagIsInTheEquivalenceAbove() {
        final Set<String> runFlags = Main.commandLine().getSubcommands().get("run").getCommandSpec().options().stream()
            .map(OptionSpec::longestName)
            // --control-socket, --takeover and --state-file are about the process, not the config: they go with
            // --config too
            .filter(name -> !List.of("--help", "--version", "--config", "--control-socket", "--takeover", "--state-file")
                .contains(name))
            .collect(Collectors.toSet());

        assertThat(List.of(EVERY_FLAG)).containsAll(runFlags);
    }
}
