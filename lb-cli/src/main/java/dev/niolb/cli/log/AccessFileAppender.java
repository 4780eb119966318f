package dev.niolb.cli.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.recovery.RecoveryListener;
import ch.qos.logback.core.recovery.ResilientFileOutputStream;
import ch.qos.logback.core.rolling.RollingFileAppender;
import dev.niolb.accesslog.AccessLogLosses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * The access log file's appender: Logback's rolling one, which says when it cannot write.
 *
 * <p>Why: on a full disk (or any write error) Logback's file stream drops lines until a write works again, and
 * says so only in its own status messages, which niolb does not print: lines were lost with no word. This one
 * listens to its stream's failures and recoveries and logs both, the second with how many lines were lost (those
 * appended while the file could not be written; one written in part when the disk filled may stay joined to the
 * next line), and counts them in {@link AccessLogLosses} for the metrics.
 *
 * <p>Threading: lines are appended by the access log's writer thread under the appender's lock; the counts are
 * read and written under it too, and reopening happens under it as well.
 */
final class AccessFileAppender extends RollingFileAppender<ILoggingEvent> implements RecoveryListener {
    private static final Logger LOG = LoggerFactory.getLogger("dev.niolb.run");
    private volatile boolean failing;
    private long lost;

    @Override
    public void openFile(final String fileName) throws IOException {
        super.openFile(fileName); // a rollover and a reopen get a new stream: listen to each
        if (getOutputStream() instanceof ResilientFileOutputStream stream) {
            stream.addRecoveryListener(this);
        }
    }

    @Override
    protected void subAppend(final ILoggingEvent event) {
        super.subAppend(event);
        if (failing) {
            lost++; // the stream dropped it: presumed in error, or it failed on this very line
            AccessLogLosses.lostOne();
        }
    }

    @Override
    public void newFailure(final IOException e) {
        if (failing) {
            return; // a recovery that reopened the file, then failed to write again: the same outage
        }
        failing = true;
        LOG.warn("access log {}: cannot write ({}): its lines are lost until a write works again (tried again "
            + "at growing intervals)", getFile(), e.getMessage());
    }

    @Override
    public void recoveryOccured() {
        failing = false;
        LOG.warn("access log {}: written again; {} lines were lost", getFile(), lost);
        lost = 0;
    }
}
