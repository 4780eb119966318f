package dev.niolb.cli.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.Appender;
import dev.niolb.config.LogConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class AccessFileAppenderTest {
    @TempDir
    Path dir;

    private static ILoggingEvent line(final LoggerContext context, final String text) {
        return new LoggingEvent("test", context.getLogger("niolb.access"), Level.INFO, text, null, null);
    }

    @Test
    void afterATakeoverEachLineGoesToTheFileAtThePathNotToTheOneTheSuccessorRotatedAway() throws Exception {
        // the process's context, as in a run: events of a context never configured carry no MDC and are not written
        final LoggerContext context = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
        final Path file = dir.resolve("access.log");
        final Appender<ILoggingEvent> appender = LogOutputs.accessFile(context,
            new LogConfig(file, 1 << 20, 7, null, "daemon"));
        try {
            appender.doAppend(line(context, "before"));
            ((AccessFileAppender) appender).leaveToSuccessor();
            final Path rotated = dir.resolve("access.log.2026-12-07.0");
            Files.move(file, rotated); // the successor's rotation: it compresses and deletes this one next

            appender.doAppend(line(context, "after"));

            assertThat(Files.readAllLines(rotated)).containsExactly("before");
            assertThat(Files.readAllLines(file)).as("the successor's new file").containsExactly("after");
        } finally {
            appender.stop();
        }
    }
}
