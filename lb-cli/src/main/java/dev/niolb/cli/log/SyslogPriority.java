package dev.niolb.cli.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * {@code %syslogPriority}: the sd-daemon(3) prefix for a line's priority, {@code <3>} (error) to {@code <7>}
 * (debug), which journald reads from the start of each line of a service's output.
 */
public final class SyslogPriority extends ClassicConverter {
    @Override
    public String convert(final ILoggingEvent event) {
        return switch (event.getLevel().toInt()) {
            case Level.ERROR_INT -> "<3>";
            case Level.WARN_INT -> "<4>";
            case Level.INFO_INT -> "<6>";
            default -> "<7>";
        };
    }
}
