package dev.niolb.health;

import dev.niolb.config.CheckSpec;
import dev.niolb.backend.ServerState;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What fuzzing the health checks' readers of server replies found, one behaviour each (the inputs also stay in the
 * fuzz tests' seeds: {@code HttpCheckFuzzTest}, {@code AgentReplyFuzzTest}).
 */
class FuzzFindingsTest {
    private static final HttpCheck HTTP = new HttpCheck(new CheckSpec.Http("/"));

    @Test
    void aStatusLineWhoseVersionIsNotDigitsFailsTheHttpCheck() {
        assertThat(judge(HTTP, "HTTP/1*1 301").passed()).isFalse();
        assertThat(judge(HTTP, "HTTP/1*1 301").detail()).isEqualTo("not an HTTP status line: 'HTTP/1*1 301'");
        assertThat(judge(HTTP, "HTTP/1.1 301").passed()).isTrue();
    }

    @Test
    void aStatusOfMoreThanThreeDigitsOrWithASignFailsTheHttpCheck() {
        assertThat(judge(HTTP, "HTTP/1.1 2000 OK\r\n").passed()).isFalse();
        assertThat(judge(HTTP, "HTTP/1.1 +20 OK\r\n").passed()).isFalse();
        assertThat(judge(HTTP, "HTTP/1.1 200\r").passed()).as("a CR before the close ends the line").isTrue();
    }

    @Test
    void anAgentsTabsAndEscapeSequencesReachTheDetailEscaped() {
        final CheckResult r = judge(new AgentCheck(), "ready\t100% \u001b[2K\n");

        assertThat(r.passed()).isTrue();
        assertThat(r.detail()).isEqualTo("agent says 'ready\\x09100% \\x1b[2K'");
        assertThat(r.agent().text()).isEqualTo("ready\\x09100% \\x1b[2K");
    }

    @Test
    void aWordEndedByAnyWhitespaceReadsTheSameAtTheEndOfTheLineAndBeforeAComment() {
        assertThat(AgentReply.parse("drain\u001e").mode()).isEqualTo(ServerState.DRAIN);
        assertThat(AgentReply.parse("drain\u001e # back at noon").mode()).isEqualTo(ServerState.DRAIN);
    }

    private static CheckResult judge(final Probe probe, final String reply) {
        final byte[] bytes = reply.getBytes(StandardCharsets.ISO_8859_1);
        return probe.judge(bytes, bytes.length, true);
    }
}
