package dev.niolb.config;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckSpecTest {

    @Test
    void eachKindParsesFromWhatUsersWrite() {
        assertThat(CheckSpec.parse("tcp")).isEqualTo(new CheckSpec.Tcp());
        assertThat(CheckSpec.parse("http:/status")).isEqualTo(new CheckSpec.Http("/status"));
        assertThat(CheckSpec.parse("http")).isEqualTo(new CheckSpec.Http("/"));
        assertThat(CheckSpec.parse("http:/s,method=HEAD,host=www.example.org,status=200-204"))
            .isEqualTo(new CheckSpec.Http("HEAD", "/s", "www.example.org", 200, 204));
        assertThat(CheckSpec.parse("send:PING,expect:+PONG")).isEqualTo(new CheckSpec.SendExpect("PING", "+PONG"));
        assertThat(CheckSpec.parse("agent:9999")).isEqualTo(new CheckSpec.Agent(9999));
    }

    @Test
    void eachKindPrintsBackAsItParses() {
        for (final String text : List.of("tcp", "http:/status", "http:/s,method=HEAD,host=h,status=200-204",
            "send:PING,expect:+PONG", "agent:9999")) {
            assertThat(CheckSpec.parse(text)).hasToString(text);
        }
    }

    @Test
    void sendTextTakesEscapesAndEndsInCrlfUnlessItEndsInANewline() {
        final CheckSpec.SendExpect s = (CheckSpec.SendExpect) CheckSpec.parse("send:\\x00\\x01hi\\n,expect:\\x02");
        assertThat(s.sendBytes()).containsExactly(0, 1, 'h', 'i', '\n');
        assertThat(s.expectBytes()).containsExactly(2);
        assertThat(new String(((CheckSpec.SendExpect) CheckSpec.parse("send:PING,expect:+PONG")).sendBytes(),
            StandardCharsets.ISO_8859_1)).isEqualTo("PING\r\n");
    }

    @Test
    void aBadCheckIsRejectedWithOneLineNamingIt() {
        assertThatThrownBy(() -> CheckSpec.parse("ping")).hasMessage(
            "bad check 'ping': expected tcp, http:/PATH, send:TEXT,expect:TEXT, dns:NAME or agent:PORT");
        assertThatThrownBy(() -> CheckSpec.parse("agent:x")).hasMessage("bad check 'agent:x': expected agent:PORT");
        assertThatThrownBy(() -> CheckSpec.parse("agent:70000")).hasMessageContaining("port must be 1..65535");
        assertThatThrownBy(() -> CheckSpec.parse("send:PING")).hasMessageContaining("expected send:TEXT,expect:TEXT");
        assertThatThrownBy(() -> CheckSpec.parse("http:status")).hasMessageContaining("path must start with /");
        assertThatThrownBy(() -> CheckSpec.parse("http:/,status=600")).hasMessageContaining("status must be a range");
        assertThatThrownBy(() -> CheckSpec.parse("http:/,colour=red")).hasMessageContaining("unknown option 'colour'");
        assertThatThrownBy(() -> CheckSpec.parse("send:\\q,expect:x")).hasMessageContaining("unknown escape");
    }

    @Test
    void anHttpCheckOptionGivenTwiceIsRefusedNotReadAsTheLastOne() {
        assertThatThrownBy(() -> CheckSpec.parse("http:/h,status=200-399,status=500-599")).hasMessage(
            "bad check 'http:/h,status=200-399,status=500-599': 'status' is given twice");
        assertThatThrownBy(() -> CheckSpec.parse("http:/h,host=x,host=y")).hasMessageEndingWith(
            "'host' is given twice");
    }

    @Test
    void aGroupTakesOneHealthCheckAndOneAgentAtMost() {
        final HealthCheckConfig both = HealthCheckConfig.DEFAULTS.withChecks(List.of(CheckSpec.parse("http:/"),
            CheckSpec.parse("agent:1")));
        assertThat(both.healthCheck()).isEqualTo(new CheckSpec.Http("/"));
        assertThat(both.agentCheck()).isEqualTo(new CheckSpec.Agent(1));
        assertThatThrownBy(() -> HealthCheckConfig.DEFAULTS.withChecks(List.of(new CheckSpec.Tcp(),
            new CheckSpec.Http("/")))).hasMessageStartingWith("at most one health check");
        assertThatThrownBy(() -> HealthCheckConfig.DEFAULTS.withRise(0)).hasMessage("rise must be 1..100, got 0");
        assertThatThrownBy(() -> HealthCheckConfig.DEFAULTS.withInterval(Duration.ofMillis(1)))
            .hasMessageContaining("check-interval must be at least 10ms");
    }

    @Test
    void aServerSpecTakesBackupAndCheckPort() {
        final ServerConfig s = ServerConfig.parse("10.0.0.3:80,backup,check-port=8081,name=spare");
        assertThat(s.backup()).isTrue();
        assertThat(s.checkPort()).isEqualTo(8081);
        assertThat(s.checkAddress().getPort()).isEqualTo(8081);
        assertThat(ServerConfig.parse("10.0.0.3:80").checkAddress().getPort()).isEqualTo(80);
        assertThat(ServerConfig.parse("10.0.0.3:80,check-port=0").checkAddress().getPort()).as("0: none, as in a map")
            .isEqualTo(80);
        assertThatThrownBy(() -> ServerConfig.parse("10.0.0.3:80,check-port=65536"))
            .hasMessage("server '10.0.0.3:80,check-port=65536': check-port must be 0..65535, got '65536'");
        assertThatThrownBy(() -> ServerConfig.parse("10.0.0.3:80,backup=yes")).hasMessageContaining("backup takes no value");
        assertThatThrownBy(() -> ServerConfig.parse("10.0.0.3:80,bakup")).hasMessage(
            "server '10.0.0.3:80,bakup': unknown option 'bakup' (expected weight=N, name=NAME, backup, check-port=N,"
            + " send-proxy, send-proxy-v2, proxy-udp=first|every or maxconn=N)");
    }

    @Test
    void aHashBalanceFactorNeedsSourceBalancing() {
        final List<ServerConfig> one = List.of(ServerConfig.parse("10.0.0.1:80"));
        assertThat(new TargetGroupConfig("g", Algorithm.SOURCE, one, HealthCheckConfig.DEFAULTS, 125)
            .hashBalanceFactor()).isEqualTo(125);
        assertThatThrownBy(() -> new TargetGroupConfig("g", Algorithm.LEASTCONN, one, HealthCheckConfig.DEFAULTS, 125))
            .hasMessage("hash-balance-factor applies to balance source only, not leastconn");
        assertThatThrownBy(() -> new TargetGroupConfig("g", Algorithm.SOURCE, one, HealthCheckConfig.DEFAULTS, 90))
            .hasMessageContaining("hash-balance-factor must be 101..10000");
    }
}
