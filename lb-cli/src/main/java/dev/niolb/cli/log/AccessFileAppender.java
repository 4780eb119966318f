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
 * <p>Logback's stream calls a recovery what is only a reopen and a write into its buffer, and on a disk that is
 * full but for the rest of a page a line may fit and the next not: taken at its word, that said "written again"
 * and "cannot write" every 20 ms while the disk stayed full, and lines were lost uncounted (black-box testing,
 * session 23). So a line counts as written only when its append ends with no failure on a stream that was not
 * in error, and the outage is over at the first line written {@link #QUIET_NANOS} or more after the last one lost.
 *
 * <p>Threading: lines are appended by the access log's writer thread under the appender's lock; the counts are
 * read and written under it too, and reopening happens under it as well; the stream's calls back come from
 * within an append.
 */
final class AccessFileAppender extends RollingFileAppender<ILoggingEvent> implements RecoveryListener {
    private static final Logger LOG = LoggerFactory.getLogger("dev.niolb.run");
    /** How long no line may be lost before a written one says the outage is over. */
    private static final long QUIET_NANOS = 1_000_000_000L;
    /** Between "cannot write" and "written again". */
    private volatile boolean outage;
    private long lost;
    private long lastLossNanos;
    /** Logback's stream drops what it is given: it failed, and has not written since. */
    private boolean streamInError;
    /** During the append under way: the stream failed; the stream wrote again after an error. */
    private boolean failedThisLine;
    private boolean recoveredThisLine;

    @Override
    public void openFile(final String fileName) throws IOException {
        super.openFile(fileName); // a rollover and a reopen get a new stream: listen to each
        streamInError = false;
        if (getOutputStream() instanceof ResilientFileOutputStream stream) {
            stream.addRecoveryListener(this);
        }
    }

    /**
     * A takeover's successor writes the same file now, and rotates it: from here on each line is appended to the
     * file at the path as it is at that moment (opened, written, closed), and this process never rotates. Lines
     * kept going into the file the successor had renamed and compressed, and were lost (black-box testing,
     * session 30: the sessions a takeover's grace ended were missing from the log).
     */
    void leaveToSuccessor() {
        successorRotates = true; // read by the writer thread at its next line
    }

    private volatile boolean successorRotates;

    @Override
    protected void subAppend(final ILoggingEvent event) {
        if (successorRotates) {
            appendAtPath(event);
            return;
        }
        failedThisLine = false;
        recoveredThisLine = false;
        final boolean inErrorBefore = streamInError;
        // in an outage Logback's word is not enough (a reopen drops the line it was given, and the empty flush
        // that follows calls itself a recovery): the file must have grown. A stat per line, only then
        final FileAt before = outage ? FileAt.of(getFile()) : null;
        super.subAppend(event); // rotates when due, then encodes, writes and flushes: the stream calls back within
        final boolean written = !failedThisLine && (!inErrorBefore || recoveredThisLine)
            && (before == null || before.grew(FileAt.of(getFile())));
        final long now = System.nanoTime();
        if (!written) {
            lost++; // refused, left in a buffer whose flush failed, or dropped by a stream presumed in error
            lastLossNanos = now;
            AccessLogLosses.lostOne();
        } else if (outage && now - lastLossNanos >= QUIET_NANOS) {
            outage = false;
            LOG.warn("access log {}: written again; {} lines were lost", getFile(), lost);
            lost = 0;
        }
    }

    /**
     * The file at the path, by identity and size. A rotation within an append puts the line in a new file at the
     * path, shorter than the one before it: compared by size alone, every line that began a file during an
     * outage was counted lost though written, and the files held more lines than the count said were not lost
     * (CI, session 35: 62 in files and 6 lost of 63).
     */
    private record FileAt(Object key, long size) {
        static FileAt of(final String file) {
            try {
                final var attributes = java.nio.file.Files.readAttributes(java.nio.file.Path.of(file),
                    java.nio.file.attribute.BasicFileAttributes.class);
                return new FileAt(attributes.fileKey(), attributes.size());
            } catch (final IOException | RuntimeException missing) {
                return new FileAt(null, 0);
            }
        }

        /** Whether a line reached the file at the path between this look and {@code after}. */
        boolean grew(final FileAt after) {
            return java.util.Objects.equals(key, after.key) ? after.size > size : after.size > 0;
        }
    }

    /** One line appended to whatever file is at the path now, O_APPEND, as the successor's own lines are. */
    private void appendAtPath(final ILoggingEvent event) {
        try {
            java.nio.file.Files.write(java.nio.file.Path.of(getFile()), getEncoder().encode(event),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND,
                java.nio.file.StandardOpenOption.WRITE);
        } catch (final IOException | RuntimeException e) {
            AccessLogLosses.lostOne();
            if (!outage) {
                outage = true;
                LOG.warn("access log {}: cannot write ({}): its lines are lost", getFile(), e.getMessage());
            }
        }
    }

    @Override
    public void newFailure(final IOException e) {
        failedThisLine = true;
        streamInError = true;
        if (outage) {
            return; // the same outage: a reopen that Logback took for a recovery, then a flush that failed
        }
        outage = true;
        LOG.warn("access log {}: cannot write ({}): its lines are lost until a write works again (tried again as "
            + "lines come)", getFile(), e.getMessage());
    }

    @Override
    public void recoveryOccured() {
        streamInError = false; // a write into the buffer: the append's end says whether it reached the file
        recoveredThisLine = true;
    }
}
