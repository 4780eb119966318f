package dev.niolb.bench.harness.soak;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the soak's clients saw, summed over every session and datagram. Threadsafe: adders, and a short
 * synchronized list of the first incidents (a lost or corrupt session, a failed one) to show in the report.
 */
final class Tally {
    private static final int MAX_INCIDENTS = 20;

    /** One kind of TCP session: long streams or short request/answer sessions. */
    static final class Sessions {
        final LongAdder ok = new LongAdder();
        /** Ended early, while their server was being stopped: expected, and what did come back was exact. */
        final LongAdder cut = new LongAdder();
        /** Ended early with no server stop to explain it, or never reached a server. */
        final LongAdder failed = new LongAdder();

        long total() {
            return ok.sum() + cut.sum() + failed.sum();
        }
    }

    final Sessions longSessions = new Sessions();
    final Sessions shortSessions = new Sessions();
    /** Bytes that came back and matched, in every session. */
    final LongAdder bytesChecked = new LongAdder();
    /** Bytes sent and never echoed in sessions that no server stop explains. */
    final LongAdder lostBytes = new LongAdder();
    /** Bytes that came back different from what was sent (counted from the first wrong one). */
    final LongAdder corruptBytes = new LongAdder();

    final LongAdder udpSent = new LongAdder();
    final LongAdder udpAnswered = new LongAdder();
    final LongAdder udpUnanswered = new LongAdder();
    final LongAdder udpCorrupt = new LongAdder();

    private final List<String> incidents = new ArrayList<>();
    private int incidentCount;

    synchronized void incident(final String what) {
        incidentCount++;
        if (incidents.size() < MAX_INCIDENTS) {
            incidents.add(what);
        }
    }

    synchronized List<String> incidents() {
        return List.copyOf(incidents);
    }

    synchronized int incidentCount() {
        return incidentCount;
    }
}
