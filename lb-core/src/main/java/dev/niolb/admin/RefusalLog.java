package dev.niolb.admin;

import dev.niolb.log.LinePace;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admin requests refused for who sent them (401: no or a wrong token; 403: a foreign Host or Origin), in niolb's
 * log: a token being guessed or a DNS-rebinding page at work was invisible to the operator (black-box testing,
 * session 32), where HAProxy and nginx log denied requests. At most one line per {@link #INTERVAL_MS}, which counts
 * those left out since the last, so that a flood of guesses cannot flood the log.
 *
 * <p>Threadsafe: the admin connections' virtual threads note refusals concurrently.
 */
final class RefusalLog {
    private static final Logger LOG = LoggerFactory.getLogger(RefusalLog.class);
    static final long INTERVAL_MS = 10_000;

    /** At most a line an interval; those left out said when it ends, and the next refusal waits its turn again. */
    private final LinePace pace = new LinePace(INTERVAL_MS, this::summary);
    /** The address the refused calls came in on, for the summary line: the admin API's or the metrics listener's. */
    private volatile java.net.InetSocketAddress at;

    /**
     * Logs this refusal, or counts it when a line went out less than {@link #INTERVAL_MS} ago; those counted are
     * said when the interval ends, whether or not another refusal comes (a burst of guesses followed by silence
     * read as one refusal: black-box testing, session 32).
     */
    void note(final AdminRequest x, final int status, final String why) {
        at = x.at();
        if (pace.due(System.nanoTime() / 1_000_000L)) {
            LOG.warn("admin: refused {} {} from {}: {} {}{}", ClientText.clip(x.method()),
                ClientText.clip(x.rawPath()), x.remote() == null ? "?" : dev.niolb.config.Endpoint.hostPort(x.remote()),
                status, why, pace.leftOutSaid("refused"));
        }
    }

    /** Says those left out now: at the interval's end, and when the listener closes (a stop). */
    void flush() {
        pace.flush();
    }

    private void summary(final long more) {
        pace.restart(System.nanoTime() / 1_000_000L); // the next refusal waits its turn again
        LOG.warn("admin: {} more {} refused on {} since the last one logged, not logged one by one", more,
            more == 1 ? "call" : "calls", at == null ? "?" : dev.niolb.config.Endpoint.hostPort(at));
    }
}
