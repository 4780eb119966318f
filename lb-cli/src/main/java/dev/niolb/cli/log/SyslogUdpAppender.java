package dev.niolb.cli.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LevelToSyslogSeverity;
import ch.qos.logback.core.Layout;
import ch.qos.logback.core.net.SyslogAppenderBase;
import ch.qos.logback.core.net.SyslogOutputStream;

import java.net.SocketException;
import java.net.UnknownHostException;

/**
 * Logback's syslog appender, sending over UDP with Logback's own {@link SyslogOutputStream}, but writing RFC 5424
 * messages ({@link Rfc5424Layout}) where Logback's {@code SyslogAppender} writes the older BSD format of RFC 3164.
 * One event is one datagram, cut at Logback's maximum message size.
 *
 * <p>Threading: Logback's {@code AppenderBase} serialises appends.
 */
public final class SyslogUdpAppender extends SyslogAppenderBase<ILoggingEvent> {
    private final Layout<ILoggingEvent> rfc5424;

    public SyslogUdpAppender(final Rfc5424Layout layout) {
        this.rfc5424 = layout;
        setCharset(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public SyslogOutputStream createOutputStream() throws UnknownHostException, SocketException {
        return new SyslogOutputStream(getSyslogHost(), getPort());
    }

    @Override
    public Layout<ILoggingEvent> buildLayout() {
        return rfc5424;
    }

    @Override
    public int getSeverityForEvent(final Object event) {
        return LevelToSyslogSeverity.convert((ILoggingEvent) event);
    }
}
