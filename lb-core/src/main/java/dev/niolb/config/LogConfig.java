package dev.niolb.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Where niolb's two logs go besides standard output: the access log to a rotated file, and both logs (the
 * process log and the access log) to a syslog server. The engine only names what it logs (SLF4J loggers); the
 * command line sets the outputs up with Logback's appenders at start-up, and a reload cannot change them.
 *
 * <p>Threadsafe: immutable.
 *
 * @param accessLogFile       the file the access log is written to instead of standard output; null for none
 * @param accessLogMaxSize    the size in bytes at which the file is rotated (it is rotated each day too)
 * @param accessLogMaxHistory how many days of rotated files are kept
 * @param syslog              where both logs are sent as RFC 5424 messages; null for nowhere
 * @param syslogFacility      the syslog facility of those messages ({@link #FACILITIES})
 */
public record LogConfig(Path accessLogFile, int accessLogMaxSize, int accessLogMaxHistory, SyslogAddress syslog,
                        String syslogFacility) {
    public static final int MIN_MAX_SIZE = 1024;
    public static final int MAX_HISTORY = 3650;
    /** The facility names of RFC 5424 section 6.2.1 as syslog.conf and Logback write them, in code order. */
    public static final List<String> FACILITIES = List.of("kern", "user", "mail", "daemon", "auth", "syslog", "lpr",
        "news", "uucp", "cron", "authpriv", "ftp", "ntp", "audit", "alert", "clock", "local0", "local1", "local2",
        "local3", "local4", "local5", "local6", "local7");
    /** Standard output only; 100 MiB files kept 7 days once a file is given; facility daemon once syslog is. */
    public static final LogConfig DEFAULTS = new LogConfig(null, 100 * 1024 * 1024, 7, null, "daemon");

    public LogConfig {
        Objects.requireNonNull(syslogFacility, "syslogFacility");
        if (accessLogMaxSize < MIN_MAX_SIZE) {
            throw new IllegalArgumentException("access-log-max-size must be at least 1k, got "
                + Sizes.format(accessLogMaxSize));
        }
        if (accessLogMaxHistory < 1 || accessLogMaxHistory > MAX_HISTORY) {
            throw new IllegalArgumentException("access-log-max-history must be 1.." + MAX_HISTORY + " days, got "
                + accessLogMaxHistory);
        }
        syslogFacility = syslogFacility.strip().toLowerCase(Locale.ROOT);
        if (!FACILITIES.contains(syslogFacility)) {
            throw new IllegalArgumentException("bad syslog facility " + Quoted.of(syslogFacility) + ": expected one of "
                + String.join(", ", FACILITIES));
        }
    }

    /** The facility's code (daemon is 3), for a message's PRI. */
    public int facilityCode() {
        return FACILITIES.indexOf(syslogFacility);
    }

    public LogConfig withAccessLogFile(final Path file) {
        return new LogConfig(file, accessLogMaxSize, accessLogMaxHistory, syslog, syslogFacility);
    }

    public LogConfig withAccessLogMaxSize(final int bytes) {
        return new LogConfig(accessLogFile, bytes, accessLogMaxHistory, syslog, syslogFacility);
    }

    public LogConfig withAccessLogMaxHistory(final int days) {
        return new LogConfig(accessLogFile, accessLogMaxSize, days, syslog, syslogFacility);
    }

    public LogConfig withSyslog(final SyslogAddress address) {
        return new LogConfig(accessLogFile, accessLogMaxSize, accessLogMaxHistory, address, syslogFacility);
    }

    public LogConfig withSyslogFacility(final String facility) {
        return new LogConfig(accessLogFile, accessLogMaxSize, accessLogMaxHistory, syslog, facility);
    }
}
