package dev.niolb.accesslog;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Access log lines the sink took but an output could not write: a log file on a full disk (or any write error)
 * loses them until a write works again, standard output behind a closed pipe, a local syslog socket whose reader
 * is gone or behind. Counted by those outputs' appenders (once per output that failed), shown as
 * {@code niolb_access_log_lost_total}, so that an operator can alert on lost lines rather than find a warning in
 * niolb's own log after the fact.
 *
 * <p>Process-wide, as the logging configuration that writes the file is. Threading: written by the access log's
 * writer thread (under an appender's lock), read by any thread.
 */
public final class AccessLogLosses {
    private static final AtomicLong LOST = new AtomicLong();

    private AccessLogLosses() {
    }

    /** One more line lost. */
    public static void lostOne() {
        LOST.incrementAndGet();
    }

    /** Lines lost since the process started. */
    public static long total() {
        return LOST.get();
    }
}
