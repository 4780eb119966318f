package dev.niolb.cli.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.util.LevelToSyslogSeverity;
import ch.qos.logback.core.LayoutBase;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * One log event as an RFC 5424 syslog message:
 * <pre>
 * &lt;30&gt;1 2026-12-04T09:43:19.394Z lb1 niolb 4242 run - listening on tcp://0.0.0.0:80; ...
 * PRI VERSION TIMESTAMP (UTC)       HOST APP PROCID MSGID SD MSG
 * </pre>
 * PRI is facility × 8 + the level's severity (ERROR 3, WARN 4, INFO 6, DEBUG 7); MSGID is the logger's last name
 * ({@code run}, {@code admin}, {@code access} for the access log), so a syslog server can file access lines apart;
 * no structured data. The message is UTF-8 without a BOM (RFC 5424's MSG-ANY), one line: a throwable adds its
 * first line, never a stack trace.
 *
 * <p>Threading: immutable after construction; Logback calls it under the appender's lock.
 */
public final class Rfc5424Layout extends LayoutBase<ILoggingEvent> {
    private static final DateTimeFormatter TIME =
        DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final int MAX_MSGID = 32;

    private final int facility;
    private final String host;
    private final String app;
    private final String procId;

    /**
     * @param facility the facility's code (daemon is 3)
     * @param host     this host's name as it is to appear ({@link #localHostName})
     */
    public Rfc5424Layout(final int facility, final String host, final String app, final long pid) {
        this.facility = facility;
        this.host = field(host, 255);
        this.app = field(app, 48);
        this.procId = Long.toString(pid);
    }

    @Override
    public String doLayout(final ILoggingEvent event) {
        final StringBuilder b = new StringBuilder(160);
        b.append('<').append(facility * 8 + LevelToSyslogSeverity.convert(event)).append(">1 ");
        TIME.formatTo(Instant.ofEpochMilli(event.getTimeStamp()), b);
        b.append(' ').append(host).append(' ').append(app).append(' ').append(procId).append(' ')
            .append(msgId(event.getLoggerName())).append(" - ");
        appendOneLine(b, event.getFormattedMessage());
        final IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            b.append(": ").append(thrown.getClassName());
            if (thrown.getMessage() != null) {
                b.append(": ");
                appendOneLine(b, thrown.getMessage());
            }
        }
        return b.toString();
    }

    /** The last part of a logger's name: {@code dev.niolb.run} is {@code run}, {@code niolb.access} {@code access}. */
    static String msgId(final String logger) {
        if (logger == null || logger.isEmpty()) {
            return "-";
        }
        return field(logger.substring(logger.lastIndexOf('.') + 1), MAX_MSGID);
    }

    /** A header field: printable US-ASCII without spaces, at most {@code max} characters; "-" when empty. */
    static String field(final String text, final int max) {
        final StringBuilder b = new StringBuilder(Math.min(text == null ? 0 : text.length(), max));
        if (text != null) {
            for (int i = 0; i < text.length() && b.length() < max; i++) {
                final char c = text.charAt(i);
                if (c > 32 && c < 127) {
                    b.append(c);
                }
            }
        }
        return b.isEmpty() ? "-" : b.toString();
    }

    private static void appendOneLine(final StringBuilder b, final String text) {
        if (text == null) {
            return;
        }
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            b.append(c == '\n' || c == '\r' ? ' ' : c);
        }
    }

    /** This host's name as the kernel has it, without a DNS lookup; "-" where it cannot be read. */
    public static String localHostName() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (final java.io.IOException | RuntimeException e) {
            final String env = System.getenv("HOSTNAME");
            return env == null ? "-" : env;
        }
    }
}
