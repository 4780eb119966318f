package dev.niolb.cli.log;

import ch.qos.logback.core.PropertyDefinerBase;

/**
 * The log line pattern, chosen at start-up by logback.xml's {@code <define name="NIOLB_LOG_PATTERN">}.
 *
 * <p>On a terminal or in a file: {@code 12:04:05.123 INFO  run - listening on …}. Under systemd, writing to the
 * journal: no time (the journal stamps each line itself) and a syslog priority prefix that journald takes as the
 * entry's priority and strips: {@code <6>INFO  run - listening on …} is stored as priority 6 (info), so that
 * {@code journalctl -p warning} finds niolb's warnings.
 */
public final class LogPattern extends PropertyDefinerBase {
    static final String TERMINAL = "%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n";
    static final String JOURNAL = "%syslogPriority%-5level %logger{0} - %msg%n";

    @Override
    public String getPropertyValue() {
        return JournalStream.connected() ? JOURNAL : TERMINAL;
    }
}
