package dev.niolb.cli.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.Appender;
import dev.niolb.accesslog.AccessLogLosses;
import dev.niolb.cli.SmallDisk;
import dev.niolb.config.LogConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

class AccessFileAppenderTest {
    @TempDir
    Path dir;

    private static ILoggingEvent line(final LoggerContext context, final String text) {
        return new LoggingEvent("test", context.getLogger("niolb.access"), Level.INFO, text, null, null);
    }

    @Test
    void aLineThatBeginsANewFileDuringAnOutageIsCountedWrittenNotLost() throws Exception {
        final LoggerContext context = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
        try (SmallDisk small = SmallDisk.mount(dir)) {
            final Path file = small.path().resolve("access.log");
            final Appender<ILoggingEvent> appender = LogOutputs.accessFile(context,
                new LogConfig(file, 1024, 7, null, "daemon"));
            final List<String> appended = new ArrayList<>();
            try {
                appender.doAppend(line(context, "before the disk filled"));
                final Path filler = small.fill();
                final long lostAtStart = AccessLogLosses.total();
                for (int i = 0; AccessLogLosses.total() == lostAtStart; i++) {
                    assertThat(i).as("lines before the full disk refused one").isLessThan(2_000);
                    appender.doAppend(line(context, "full " + i));
                }
                Files.delete(filler);
                final long lostBefore = AccessLogLosses.total();
                // the outage lasts until a second passes with no line lost: these come within it, and at 1 KiB a
                // file, several begin a new file
                for (int i = 0; i < 200; i++) {
                    final String text = "room again, line " + i + " of 200, padded to forty";
                    appended.add(text);
                    appender.doAppend(line(context, text));
                }
                final long lost = AccessLogLosses.total() - lostBefore;
                appender.stop(); // waits for the compressions, so that every rotated file can be read

                // the end of a line: the first may follow, on one line, the part of one the disk took as it filled
                final List<String> beside = linesBeside(file);
                final long inFiles = appended.stream().filter(t -> beside.stream().anyMatch(l -> l.endsWith(t))).count();
                assertThat(inFiles + lost).as("%d in files, %d counted lost, of %d", inFiles, lost, appended.size())
                    .isEqualTo(appended.size());
            } finally {
                appender.stop();
            }
        }
    }

    /** The lines of the file and of every file rotated beside it, compressed or not. */
    private static List<String> linesBeside(final Path file) throws IOException {
        final List<String> lines = new ArrayList<>();
        try (Stream<Path> files = Files.list(file.getParent())) {
            for (final Path p : files.filter(p -> p.getFileName().toString().startsWith("access.log")).toList()) {
                try (InputStream in = p.toString().endsWith(".gz")
                    ? new GZIPInputStream(Files.newInputStream(p)) : Files.newInputStream(p)) {
                    lines.addAll(new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList());
                }
            }
        }
        return lines;
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
