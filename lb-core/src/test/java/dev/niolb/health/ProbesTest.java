package dev.niolb.health;

import dev.niolb.config.CheckSpec;
import dev.niolb.backend.ServerState;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** How each probe judges replies, byte by byte, without sockets. */
class ProbesTest {

    private static CheckResult judge(final Probe probe, final String reply, final boolean eof) {
        final byte[] bytes = reply.getBytes(StandardCharsets.ISO_8859_1);
        return probe.judge(bytes, bytes.length, eof);
    }

    @Test
    void sendExpectWaitsForEnoughBytesAndFailsAtTheFirstDifferentOne() {
        final Probe redis = Probe.of(CheckSpec.parse("send:PING,expect:+PONG"));
        assertThat(new String(redis.request(null), StandardCharsets.ISO_8859_1)).isEqualTo("PING\r\n");
        assertThat(judge(redis, "+PO", false)).isNull();
        assertThat(judge(redis, "+PONG\r\n", false).passed()).isTrue();
        assertThat(judge(redis, "-ERR", false)).isEqualTo(CheckResult.failed("expected '+PONG', got '-ERR'"));
        assertThat(judge(redis, "+PO", true).passed()).isFalse();
    }

    @Test
    void httpPassesOnAnExpectedStatusAndNamesAnyOther() {
        final Probe http = Probe.of(CheckSpec.parse("http:/status,host=example.org"));
        assertThat(new String(http.request(new InetSocketAddress("127.0.0.1", 80)), StandardCharsets.ISO_8859_1))
            .startsWith("GET /status HTTP/1.1\r\nHost: example.org\r\n").endsWith("Connection: close\r\n\r\n");
        assertThat(judge(http, "HTTP/1.1 200", false)).isNull();
        assertThat(judge(http, "HTTP/1.1 200 OK\r\n", false)).isEqualTo(CheckResult.passed("HTTP 200"));
        assertThat(judge(http, "HTTP/1.1 302 Found\r\n", false).passed()).isTrue();
        assertThat(judge(http, "HTTP/1.1 404 Not Found\r\n", false)).isEqualTo(CheckResult.failed("HTTP 404"));
        assertThat(judge(http, "SSH-2.0-OpenSSH\r\n", false).detail()).startsWith("not an HTTP status line");
        assertThat(judge(http, "", true)).isEqualTo(CheckResult.failed("connection closed without a reply"));
    }

    @Test
    void httpTakesItsHostFromTheServerWhenNoneIsGiven() {
        final Probe http = Probe.of(CheckSpec.parse("http"));
        assertThat(new String(http.request(new InetSocketAddress("10.0.0.7", 8080)), StandardCharsets.ISO_8859_1))
            .startsWith("GET / HTTP/1.1\r\nHost: 10.0.0.7:8080\r\n");
    }

    @Test
    void httpSendsTheNameAServerByDnsNameWasLookedUpByAsItsHost() throws Exception {
        final Probe http = Probe.of(CheckSpec.parse("http"));
        // as NameResolver gives a server by DNS name its address: the name rides along, never looked up again
        final InetAddress looked = InetAddress.getByAddress("app.test", new byte[] {10, 0, 0, 7});

        // it sent Host: 10.0.0.7:8080, which a name-based virtual host answers with a 404 (session 22)
        assertThat(new String(http.request(new InetSocketAddress(looked, 8080)), StandardCharsets.ISO_8859_1))
            .startsWith("GET / HTTP/1.1\r\nHost: app.test:8080\r\n");
    }

    @Test
    void anAgentLineGivesAStateAndAWeight() {
        final Probe agent = Probe.of(new CheckSpec.Agent(9999));
        assertThat(judge(agent, "drain 50%", false)).isNull(); // no newline yet, peer still open
        final CheckResult result = judge(agent, "drain 50%\n", false);
        assertThat(result.agent()).isEqualTo(new AgentReply(ServerState.DRAIN, 50, "drain 50%"));
        assertThat(judge(agent, "up", true).agent().mode()).isEqualTo(ServerState.UP);
        assertThat(judge(agent, "hello there\n", false).passed()).isFalse();
    }

    @Test
    void agentRepliesAreReadTheWayHaproxyReadsThem() {
        assertThat(AgentReply.parse("ready,75%")).isEqualTo(new AgentReply(ServerState.UP, 75, "ready,75%"));
        assertThat(AgentReply.parse("maint")).isEqualTo(new AgentReply(ServerState.MAINT, -1, "maint"));
        assertThat(AgentReply.parse("stopped # disk full").mode()).isEqualTo(ServerState.DOWN);
        assertThat(AgentReply.parse("weight 50%")).isEqualTo(new AgentReply(null, 50, "weight 50%"));
        assertThat(AgentReply.parse("up -5%")).as("no weight, named to be warned of")
            .isEqualTo(new AgentReply(ServerState.UP, -1, "up -5%", "-5%"));
        assertThat(AgentReply.parse("up 0.5%").ignored()).isEqualTo("0.5%");
        assertThat(AgentReply.parse("250%").percent()).isEqualTo(250);
        assertThat(AgentReply.parse("99999%").percent()).as("HAProxy's cap").isEqualTo(25_600);
        assertThat(AgentReply.parse("99999999999999999999%").percent()).as("capped, however long").isEqualTo(25_600);
        assertThat(AgentReply.parse("00000000050%").percent()).as("leading zeros are no size").isEqualTo(50);
        assertThat(AgentReply.parse("000%").percent()).isZero();
        assertThat(AgentReply.parse("-5%")).as("no weight").isNull();
        assertThat(AgentReply.parse("0.5%")).as("no weight").isNull();
        assertThat(AgentReply.parse("# up")).isNull();
        assertThat(AgentReply.parse("")).isNull();
    }
}
