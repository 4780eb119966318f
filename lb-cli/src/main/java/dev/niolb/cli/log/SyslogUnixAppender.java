package dev.niolb.cli.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Logback appender sending each event as one RFC 5424 datagram ({@link Rfc5424Layout}) to a local Unix datagram
 * socket such as {@code /dev/log}, through {@link UnixDatagramSocket}. A message is cut at {@value #MAX_BYTES}
 * bytes, rsyslog's default limit. A send that fails (no syslog daemon, its socket gone, its queue full) drops the
 * event, counted in {@link dev.niolb.accesslog.AccessLogLosses} when it is an access log line; the first failure of
 * a run of them is said on stderr, so a restarted daemon is picked up again silently.
 *
 * <p>Threading: Logback's {@code AppenderBase} serialises appends.
 */
public final class SyslogUnixAppender extends AppenderBase<ILoggingEvent> {
    static final int MAX_BYTES = 8192;

    private final Rfc5424Layout layout;
    private final Path path;
    private final boolean waits;
    private UnixDatagramSocket socket;
    private boolean failing;

    /**
     * @param waits whether a send waits for room at a reader that is behind (up to the socket's send timeout): for
     *              niolb's own lines, behind a queue of their own; the access log's writer must not (one line a
     *              second reached the file and stdout beside an unread socket; black-box testing, session 30), so its
     *              sends fail at once, counted as lost lines
     */
    public SyslogUnixAppender(final Rfc5424Layout layout, final Path path, final boolean waits) {
        this.layout = layout;
        this.path = path;
        this.waits = waits;
    }

    @Override
    public void start() {
        try {
            socket = UnixDatagramSocket.open();
        } catch (final IOException | RuntimeException e) {
            addError("cannot open a Unix datagram socket for " + path + ": " + e.getMessage());
            return;
        }
        super.start();
    }

    @Override
    protected void append(final ILoggingEvent event) {
        final byte[] message = cut(layout.doLayout(event).getBytes(StandardCharsets.UTF_8));
        try {
            if (waits) {
                socket.send(path, message);
            } else {
                socket.sendNow(path, message);
            }
            failing = false;
        } catch (final IOException e) {
            if (dev.niolb.accesslog.AccessLog.LOGGER.equals(event.getLoggerName())) {
                dev.niolb.accesslog.AccessLogLosses.lostOne(); // a full socket (a reader behind) drops it
            }
            if (!failing) {
                // on stderr too: Logback's status, where addWarn goes, is shown to nobody, and with syslog the only
                // log output niolb started with no word (black-box testing, session 27)
                final String line = "syslog to unix:" + path + ": " + e.getMessage() + (waits
                    ? "; log lines are dropped until it answers"
                    : "; access log lines are dropped until it takes them (niolb_access_log_lost_total counts them)");
                addWarn(line);
                System.err.println("niolb: " + line);
                failing = true;
            }
        }
    }

    /** At most {@link #MAX_BYTES}, cut before a UTF-8 continuation byte so that no character is split. */
    static byte[] cut(final byte[] message) {
        if (message.length <= MAX_BYTES) {
            return message;
        }
        int end = MAX_BYTES;
        while (end > 0 && (message[end] & 0xC0) == 0x80) {
            end--;
        }
        return java.util.Arrays.copyOf(message, end);
    }

    @Override
    public void stop() {
        super.stop();
        if (socket != null) {
            socket.close();
        }
    }
}
