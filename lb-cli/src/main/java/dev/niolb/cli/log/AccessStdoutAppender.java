package dev.niolb.cli.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.niolb.accesslog.AccessLogLosses;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The access log on standard output (no {@code access-log-file}): each line written to the process's stdout as it
 * comes, one write each, and a line that cannot be written (its reader gone: EPIPE; a full disk behind {@code >})
 * counted in {@link AccessLogLosses}, so that {@code niolb_access_log_lost_total} says so.
 *
 * <p>Why not Logback's {@code ConsoleAppender}: it writes through {@code System.out}, a {@code PrintStream} that
 * swallows write errors, so that lines behind a closed pipe were lost with no count and no word (black-box
 * testing, session 30). The first failure of a run of them is said once on stderr, which may still be read.
 *
 * <p>Threading: Logback's {@code AppenderBase} serialises appends (the access log's writer thread).
 */
public final class AccessStdoutAppender extends AppenderBase<ILoggingEvent> {
    private final OutputStream out = new FileOutputStream(FileDescriptor.out);
    private boolean failing;

    @Override
    protected void append(final ILoggingEvent event) {
        final byte[] line = (event.getFormattedMessage() + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            out.write(line);
            failing = false;
        } catch (final IOException e) {
            AccessLogLosses.lostOne();
            if (!failing) {
                failing = true;
                System.err.println("niolb: the access log cannot be written to standard output (" + e.getMessage()
                    + "): its lines are lost, counted in niolb_access_log_lost_total");
            }
        }
    }
}
