package dev.niolb.health;

import dev.niolb.config.CheckSpec;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** How the {@code http} check reads a reply that begins with interim (1xx) responses. */
class HttpCheckReplyTest {
    private static final HttpCheck HTTP = new HttpCheck(new CheckSpec.Http("/"));

    @Test
    void aFinalStatusAfterA100ContinuePassesTheCheck() {
        final CheckResult r = whole("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");

        assertThat(r.passed()).isTrue();
        assertThat(r.detail()).isEqualTo("HTTP 200");
    }

    @Test
    void theFinalStatusAfterEarlyHintsWithHeadersIsTheOneJudged() {
        final CheckResult r = whole("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
            + "HTTP/1.1 103 Early Hints\nLink: </b.js>\n\nHTTP/1.1 503 Busy\r\n\r\n");

        assertThat(r.passed()).isFalse();
        assertThat(r.detail()).isEqualTo("HTTP 503");
    }

    @Test
    void noVerdictComesUntilTheFinalStatusLineIsWhole() {
        final String reply = "HTTP/1.1 100 Continue\r\nX: y\r\n\r\nHTTP/1.1 204 No Content\r\n";
        final byte[] bytes = Arrays.copyOf(reply.getBytes(StandardCharsets.ISO_8859_1), Probe.MAX_REPLY);
        for (int length = 0; length < reply.length(); length++) {
            assertThat(HTTP.judge(bytes, length, false)).as("after %d bytes", length).isNull();
        }
        assertThat(HTTP.judge(bytes, reply.length(), false).passed()).isTrue();
    }

    @Test
    void aCloseAfterOnlyAnInterimResponseFailsTheCheck() {
        assertThat(whole("HTTP/1.1 100 Continue\r\n\r\n").detail())
            .isEqualTo("connection closed after an interim HTTP 100");
        assertThat(whole("HTTP/1.1 100 Continue\r\nX: y\r\n").detail())
            .isEqualTo("connection closed in the headers of an interim HTTP 100");
    }

    @Test
    void interimResponsesThatFillTheReplyBufferFailTheCheck() {
        final byte[] bytes = Arrays.copyOf(("HTTP/1.1 103 Early Hints\r\nLink: <" + "x".repeat(Probe.MAX_REPLY))
            .getBytes(StandardCharsets.ISO_8859_1), Probe.MAX_REPLY);

        final CheckResult r = HTTP.judge(bytes, Probe.MAX_REPLY, false);

        assertThat(r.passed()).isFalse();
        assertThat(r.detail()).isEqualTo("interim HTTP 103 fills the first " + Probe.MAX_REPLY + " bytes");
    }

    @Test
    void a101SwitchingProtocolsIsAFinalStatus() {
        assertThat(whole("HTTP/1.1 101 Switching Protocols\r\n\r\nHTTP/1.1 200 OK\r\n\r\n").detail())
            .isEqualTo("HTTP 101");
    }

    private static CheckResult whole(final String reply) {
        final byte[] bytes = reply.getBytes(StandardCharsets.ISO_8859_1);
        return HTTP.judge(bytes, bytes.length, true);
    }
}
