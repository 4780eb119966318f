package dev.niolb.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class UsageErrorsTest {
    private static final String[] OK = {"run", "--listen", "127.0.0.1:8080", "--server", "10.0.0.1:80"};

    private static String[] ok(final String... more) {
        return Stream.concat(Stream.of(OK), Stream.of(more)).toArray(String[]::new);
    }

    static Stream<Arguments> mistakes() {
        return Stream.of(
            arguments("no command", new String[] {}, "niolb: missing command"),
            arguments("an unknown command", new String[] {"start"},
                "niolb: unknown command 'start' (expected run, check, demo, stats, server, reload, version)"),
            arguments("an unknown flag", ok("--fast"), "niolb: Unknown option: '--fast'"),
            arguments("a listen address without a port", new String[] {"run", "--listen", "foo", "--server", "10.0.0.1:80"},
                "niolb: bad address 'foo': expected HOST:PORT"),
            arguments("a port out of range", new String[] {"run", "--listen", "127.0.0.1:70000", "--server", "10.0.0.1:80"},
                "niolb: bad address '127.0.0.1:70000'"),
            arguments("an unknown listen scheme", new String[] {"run", "--listen", "sctp://0.0.0.0:53", "--server", "10.0.0.1:53"},
                "niolb: bad address 'sctp://0.0.0.0:53': unknown scheme 'sctp' (expected tcp:// or udp://)"),
            arguments("a scheme without its slashes, as nginx's 'listen … udp' habit may write it",
                new String[] {"run", "--listen", "udp:127.0.0.1:5353", "--server", "10.0.0.1:53"},
                "niolb: bad address 'udp:127.0.0.1:5353': write the scheme with //, as 'udp://127.0.0.1:5353'"),
            arguments("a backups mode that is neither all nor first", ok("--backups", "second"),
                "niolb: backups must be all or first, got 'second'"),
            arguments("a zero udp idle timeout", ok("--udp-idle-timeout", "0"),
                "niolb: udp-idle-timeout must be positive, got 0"),
            arguments("a udp idle timeout without a unit", ok("--udp-idle-timeout", "30"),
                "niolb: bad duration '30': unit must be ms, s, m, h or d"),
            arguments("negative udp responses", ok("--udp-responses", "-1"),
                "niolb: udp-responses must be 0..1000000, got -1"),
            arguments("udp responses that are not a number", ok("--udp-responses", "one"),
                "niolb: Invalid value for option '--udp-responses': 'one' is not a whole number"),
            arguments("zero udp max flows", ok("--udp-max-flows", "0"),
                "niolb: udp-max-flows must be 1..10000000, got 0"),
            arguments("the same udp listener twice", ok("--listen", "udp://127.0.0.1:53", "--listen", "udp://127.0.0.1:53"),
                "niolb: listener 'udp://127.0.0.1:53' is defined twice"),
            arguments("no server", new String[] {"run", "--listen", "127.0.0.1:8080"},
                "niolb: Missing required option: '--server=SERVER'"),
            arguments("no listener", new String[] {"run", "--server", "10.0.0.1:80"},
                "niolb: Missing required option: '--listen=HOST:PORT'"),
            arguments("a bad server address", new String[] {"run", "--listen", "127.0.0.1:8080", "--server", "10.0.0.1"},
                "niolb: bad address '10.0.0.1': expected HOST:PORT"),
            arguments("an unknown server option", ok("--server", "10.0.0.2:80,wieght=2"),
                "niolb: server '10.0.0.2:80,wieght=2': unknown option 'wieght'"),
            arguments("a weight out of range", ok("--server", "10.0.0.2:80,weight=999"),
                "niolb: server '10.0.0.2:80,weight=999': weight must be 0..256, got 999"),
            arguments("the same server twice", ok("--server", "10.0.0.1:80"),
                "niolb: group 'default': server '10.0.0.1:80' appears twice"),
            arguments("a duration without a unit", ok("--connect-timeout", "5"),
                "niolb: bad duration '5': unit must be ms, s, m, h or d"),
            arguments("a zero connect timeout", ok("--connect-timeout", "0"),
                "niolb: connect-timeout must be positive, got 0"),
            arguments("an unknown algorithm", ok("--balance", "fastest"),
                "niolb: unknown balance algorithm 'fastest' (expected one of roundrobin, weighted, leastconn, source, random, leasttime)"),
            arguments("zero threads", ok("--threads", "0"), "niolb: threads must be 1..256, got 0"),
            arguments("threads that are not a number", ok("--threads", "many"),
                "niolb: Invalid value for option '--threads': 'many' is neither auto nor a whole number"),
            arguments("threads with a space", ok("--threads", " 3"),
                "niolb: Invalid value for option '--threads': ' 3' is neither auto nor a whole number"),
            arguments("an unknown check", ok("--check", "ping"),
                "niolb: bad check 'ping': expected tcp, http:/PATH, send:TEXT,expect:TEXT, dns:NAME or agent:PORT"),
            arguments("a dns check with a bad name", ok("--check", "dns:bad name"),
                "niolb: bad check 'dns:bad name': expected dns:NAME, a DNS name such as example.test (labels of "
                    + "letters, digits, - or _, up to 63 characters each)"),
            arguments("two health checks", ok("--check", "tcp", "--check", "http:/"),
                "niolb: at most one health check (tcp, http, send, dns) and one agent check, got [tcp, http:/]"),
            arguments("a rise of zero", ok("--rise", "0"), "niolb: rise must be 1..100, got 0"),
            arguments("a panic threshold over 100", ok("--panic-threshold", "101"),
                "niolb: panic-threshold must be 0..100 (percent of a group's primary servers; 0 off), got 101"),
            arguments("a bounded load without source", ok("--hash-balance-factor", "125"),
                "niolb: hash-balance-factor applies to balance source only, not roundrobin"),
            arguments("a backup with a value", ok("--server", "10.0.0.2:80,backup=1"),
                "niolb: server '10.0.0.2:80,backup=1': backup takes no value"),
            arguments("too many retries", ok("--retries", "100"), "niolb: retries must be 0..32, got 100"),
            arguments("a size with a bad unit", ok("--buffer-size", "64q"), "niolb: bad size '64q'"),
            arguments("a buffer too small", ok("--buffer-size", "16"), "niolb: buffer size must be 1KiB..16MiB, got 16"),
            arguments("a buffer size past an int", ok("--buffer-size", "3000000000"),
                "niolb: buffer size must be 1KiB..16MiB, got 3000000000"),
            arguments("a socket buffer past an int in megabytes", ok("--tcp-rcvbuf", "4096m"),
                "niolb: tcp-rcvbuf must be 0 (the kernel's autotuning) or 4k..1024m, got 4096m"),
            arguments("a size past a long", ok("--proxy-header-max", "99999999999999999999k"),
                "niolb: proxy-header-max must be"),
            arguments("an access log size past an int, which any int would do for",
                ok("--access-log-max-size", "3000000000"),
                "niolb: --access-log-max-size: must be at most 2147483647, got 3000000000"),
            arguments("the same listener twice", ok("--listen", "127.0.0.1:8080"),
                "niolb: listener 'tcp://127.0.0.1:8080' is defined twice"),
            arguments("a bad trusted proxy block", ok("--accept-proxy-from", "10.0.0.0/33"),
                "niolb: bad CIDR '10.0.0.0/33': prefix length must be 0..32, got 33"),
            arguments("a zero proxy header timeout", ok("--accept-proxy", "--proxy-header-timeout", "0"),
                "niolb: proxy-header-timeout must be positive, got 0"),
            arguments("a proxy header bound too small for a header", ok("--accept-proxy", "--proxy-header-max", "64"),
                "niolb: proxy-header-max must be 128..65551 bytes, got 64"),
            arguments("two PROXY versions for a server", ok("--server", "10.0.0.2:80,send-proxy,send-proxy-v2"),
                "niolb: server '10.0.0.2:80,send-proxy,send-proxy-v2': give one of send-proxy and send-proxy-v2"),
            arguments("proxy-udp without v2", ok("--server", "10.0.0.2:80,send-proxy,proxy-udp=every"),
                "niolb: server '10.0.0.2:80,send-proxy,proxy-udp=every': proxy-udp needs send-proxy-v2"),
            arguments("a v1 header for a UDP listener's server",
                new String[] {"run", "--listen", "udp://127.0.0.1:53", "--server", "10.0.0.1:53,send-proxy"},
                "niolb: server 10.0.0.1:53: send-proxy (v1) is TCP only"),
            arguments("a bad allow block", ok("--allow", "10.0.0.0/33"),
                "niolb: bad CIDR '10.0.0.0/33': prefix length must be 0..32, got 33"),
            arguments("a host name to deny", ok("--deny", "evil.example"),
                "niolb: bad CIDR 'evil.example': expected an IPv4 or IPv6 address[/length]"),
            arguments("a source rate without a period", ok("--source-rate", "10"),
                "niolb: bad source rate '10': expected N/s, N/m or N/h"),
            arguments("a negative maxconn", ok("--maxconn", "-1"), "niolb: maxconn must be 0..10000000, got -1"),
            arguments("a maxconn past an int", ok("--maxconn", "3000000000"),
                "niolb: maxconn must be 0..10000000, got 3000000000"),
            arguments("a listener maxconn below an int", ok("--listener-maxconn", "-3000000000"),
                "niolb: listener-maxconn must be 0..10000000, got -3000000000"),
            arguments("udp max flows past an int", ok("--udp-max-flows", "4294967296"),
                "niolb: udp-max-flows must be 1..10000000, got 4294967296"),
            arguments("threads past a long", ok("--threads", "99999999999999999999"),
                "niolb: threads must be 1..256, got 99999999999999999999"),
            arguments("a negative listener maxconn", ok("--listener-maxconn", "-5"),
                "niolb: listener-maxconn must be 0..10000000, got -5"),
            arguments("a negative server maxconn", ok("--server", "10.0.0.2:80,maxconn=-1"),
                "niolb: server '10.0.0.2:80,maxconn=-1': maxconn must be 0..10000000, got '-1'"),
            arguments("an unknown server command", new String[] {"server", "frobnicate", "g", "s", "--admin",
                "127.0.0.1:9"}, "niolb: unknown command 'frobnicate' (expected add, drain, maint, ready, remove, weight)"),
            arguments("a server spec ending in a comma", ok("--server", "10.0.0.2:80,"),
                "niolb: server '10.0.0.2:80,': an empty option (a comma too many)"),
            arguments("a bad demo address", new String[] {"demo", "--listen", "8080"},
                "niolb: bad address '8080': expected HOST:PORT"),
            arguments("an admin address without a port", ok("--admin", "9900"),
                "niolb: bad address '9900': expected HOST:PORT (or none)"),
            arguments("a udp admin address", ok("--admin", "udp://127.0.0.1:9900"),
                "niolb: bad admin address 'udp://127.0.0.1:9900': the admin API is HTTP over TCP"),
            arguments("a token file without an admin API", ok("--admin", "none", "--admin-token-file", "/etc/token"),
                "niolb: --admin-token-file needs the admin API: not with --admin none"),
            arguments("an unknown access log format", ok("--access-log", "yaml"),
                "niolb: bad access log format 'yaml': expected off, plain or json"),
            arguments("a demo whose admin API is its listener", new String[] {"demo", "--listen", "127.0.0.1:8080",
                    "--admin", "127.0.0.1:8080"},
                "niolb: cannot listen on admin address 127.0.0.1:8080: listener tcp://127.0.0.1:8080 binds it"),
            arguments("a demo of no thread", new String[] {"demo", "--threads", "0"},
                "niolb: threads must be 1..256, got 0"),
            arguments("a bad demo access log format", new String[] {"demo", "--access-log", "xml"},
                "niolb: bad access log format 'xml'"),
            arguments("a stats address without a port", new String[] {"stats", "--admin", "localhost"},
                "niolb: bad address 'localhost': expected HOST:PORT"),
            arguments("a stats address over udp", new String[] {"stats", "--admin", "udp://127.0.0.1:9900"},
                "niolb: bad admin address 'udp://127.0.0.1:9900': the admin API is HTTP over TCP"),
            arguments("a stats address written as a URL", new String[] {"stats", "--admin", "http://127.0.0.1:9900"},
                "niolb: bad admin address 'http://127.0.0.1:9900': write HOST:PORT, without http://"),
            arguments("an IPv6 admin address without a port", new String[] {"stats", "--admin", "::1"},
                "niolb: bad address '::1': no port; write an IPv6 address in brackets with its port, as '[::1]:PORT'"),
            arguments("a zero watch interval", new String[] {"stats", "--watch", "0ms"},
                "niolb: --watch interval must be positive"),
            arguments("a takeover on the nio transport", ok("--transport", "nio", "--takeover", "/run/niolb.sock"),
                "niolb: --takeover needs the epoll transport (the JDK cannot adopt a socket): drop --transport nio"),
            arguments("an admin address a listener of the flags takes", new String[] {"run", "--listen", "[::]:8080",
                    "--server", "10.0.0.1:80", "--admin", "127.0.0.1:8080"},
                "niolb: cannot listen on admin address 127.0.0.1:8080: listener tcp://[::]:8080 binds it"),
            arguments("a multicast server", new String[] {"run", "--listen", "udp://127.0.0.1:8080",
                    "--server", "224.0.0.1:53"},
                "niolb: server '224.0.0.1:53': a multicast or broadcast address is no server's (niolb relays to one host)"),
            arguments("a broadcast server", new String[] {"run", "--listen", "udp://127.0.0.1:8080",
                    "--server", "255.255.255.255:53"},
                "niolb: server '255.255.255.255:53': a multicast or broadcast address is no server's (niolb relays to "
                    + "one host)"),
            arguments("an IPv6 multicast server", ok("--server", "[ff02::1]:80"),
                "niolb: server '[ff02::1]:80': a multicast or broadcast address is no server's (niolb relays to one host)"),
            arguments("a server that is the listener itself", new String[] {"run", "--listen", "udp://127.0.0.1:8080",
                    "--server", "127.0.0.1:8080"},
                "niolb: group 'default': server '127.0.0.1:8080' is at niolb's own listener udp://127.0.0.1:8080: "
                    + "niolb would relay to itself"),
            arguments("a server at the admin API's address", new String[] {"run", "--listen", "127.0.0.1:8080",
                    "--server", "127.0.0.1:9901", "--admin", "127.0.0.1:9901"},
                "niolb: group 'default': server '127.0.0.1:9901' is at niolb's own admin API (127.0.0.1:9901): the "
                    + "group's clients would reach it"),
            arguments("a server at the metrics listener's address", new String[] {"run", "--listen", "127.0.0.1:8080",
                    "--server", "127.0.0.1:9902", "--admin", "none", "--metrics-address", "127.0.0.1:9902"},
                "niolb: group 'default': server '127.0.0.1:9902' is at niolb's own metrics listener (127.0.0.1:9902): "
                    + "the group's clients would reach it"),
            arguments("a server on loopback at a wildcard listener's port", ok("--listen", "0.0.0.0:9090", "--server",
                    "127.0.0.1:9090"),
                "niolb: group 'default': server '127.0.0.1:9090' is at niolb's own listener tcp://0.0.0.0:9090: "
                    + "niolb would relay to itself"),
            arguments("a zero admin timeout", new String[] {"stats", "--timeout", "0"},
                "niolb: a timeout of '0' would give up at once: give one longer than 0, e.g. 10s"),
            // issue 17: digits outside ASCII, names that forge log lines, values that fill a terminal
            arguments("fullwidth digits for threads", ok("--threads", "\uff12"),
                "niolb: Invalid value for option '--threads': '\uff12' is neither auto nor a whole number"),
            arguments("Arabic-Indic digits in a duration", ok("--idle-timeout", "\u0663s"),
                "niolb: bad duration '\u0663s': expected e.g. 250ms, 5s, 10m, 1h"),
            arguments("fullwidth digits in a port", new String[] {"run", "--listen", "127.0.0.1:\uff18\uff10", "--server",
                "10.0.0.1:80"}, "niolb: bad address '127.0.0.1:\uff18\uff10'"),
            arguments("fullwidth digits in a server weight", ok("--server", "10.0.0.2:80,weight=\uff13"),
                "niolb: server '10.0.0.2:80,weight=\uff13'"),
            arguments("a server name with a line break", ok("--server", "10.0.0.2:80,name=a\nINFO forged"),
                "niolb: server '10.0.0.2:80,name=a\\nINFO forged': server name 'a\\nINFO forged': must not hold line breaks or other control characters"),
            arguments("a 200 KB algorithm name", ok("--balance", "x".repeat(200_000)),
                "niolb: unknown balance algorithm '" + "x".repeat(120) + "\u2026' (200000 characters)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mistakes")
    void aUserMistakeIsOneLineAHintAndExitCode2(final String what, final String[] args, final String expected) {
        final Cli result = Cli.run(args);

        assertThat(result.exitCode()).as("exit code").isEqualTo(2);
        assertThat(result.out()).as("stdout").isEmpty();
        assertThat(result.errLines()).hasSize(2);
        assertThat(result.errLines().get(0)).startsWith(expected);
        assertThat(result.errLines().get(1)).matches("(Did you mean .*\\? )?Try 'niolb( run| demo| stats| server)? --help'\\.");
        assertThat(result.err()).doesNotContain("Exception", "\tat ");
    }

    @Test
    void aMisspeltFlagIsNamedWithTheFlagItResembles() {
        final Cli result = Cli.run("run", "--listen", "127.0.0.1:8080", "--sever", "10.0.0.1:80");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.errLines()).containsExactly(
            "niolb: Unknown option: '--sever'",
            "Did you mean --server? Try 'niolb run --help'.");
    }
}
