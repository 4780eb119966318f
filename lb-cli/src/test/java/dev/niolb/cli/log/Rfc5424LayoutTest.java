package dev.niolb.cli.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The RFC 5424 header fields and the one-line message, from a hand-made Logback event. */
class Rfc5424LayoutTest {
    private final LoggerContext context = new LoggerContext();

    private LoggingEvent event(final String logger, final Level level, final String message, final Throwable t) {
        final LoggingEvent e = new LoggingEvent("test", context.getLogger(logger), level, message, t, null);
        e.setTimeStamp(1_780_000_000_123L);
        return e;
    }

    @Test
    void aWarningOfLocal0HasPri132TheUtcTimeAndTheLoggersLastNameAsMsgid() {
        final Rfc5424Layout layout = new Rfc5424Layout(16, "lb 1", "niolb", 42);

        assertThat(layout.doLayout(event("dev.niolb.health", Level.WARN, "server s1 DOWN", null)))
            .isEqualTo("<132>1 2026-05-28T20:26:40.123Z lb1 niolb 42 health - server s1 DOWN");
    }

    @Test
    void aMessageStaysOneLineAndAThrowableAddsOnlyItsFirstLine() {
        final Rfc5424Layout layout = new Rfc5424Layout(3, "h", "niolb", 1);

        assertThat(layout.doLayout(event("niolb.access", Level.ERROR, "two\nlines", new IllegalStateException("x\ny"))))
            .isEqualTo("<27>1 2026-05-28T20:26:40.123Z h niolb 1 access - two lines: "
                + "java.lang.IllegalStateException: x y");
    }

    @Test
    void aMessageOverTheUnixLimitIsCutWithoutSplittingACharacter() {
        final byte[] message = ("a" + "é".repeat(5000)).getBytes(StandardCharsets.UTF_8); // 1 + 2 * 5000 bytes

        final byte[] cut = SyslogUnixAppender.cut(message);

        assertThat(cut).hasSize(SyslogUnixAppender.MAX_BYTES - 1);
        assertThat(new String(cut, StandardCharsets.UTF_8)).doesNotContain("\uFFFD").endsWith("é");
    }
}
