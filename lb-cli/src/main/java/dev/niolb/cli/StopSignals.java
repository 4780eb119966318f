package dev.niolb.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * SIGTERM and SIGINT as a request to stop gracefully.
 *
 * <p>Why signal handlers and not a shutdown hook: a hook runs while the JVM is already exiting, and the process
 * then ends with 143 (SIGTERM) or 130 (SIGINT) however cleanly sessions finished. A handler only wakes the main
 * thread, which stops the engine and exits 0. {@code sun.misc.Signal} is in {@code jdk.unsupported}, exported
 * to everyone, so it needs no JVM flags.
 *
 * <p>A second signal while the first stop is still waiting for sessions exits at once with 128 + the signal's
 * number, as a shell expects of a process killed by that signal. One that comes before the stop has begun (before
 * {@link #begun()}: "shutting down in" or "stopping" is logged) or within {@link #SAME_REQUEST_MS} of the first is
 * the same request again: {@code timeout(1)}, like anything that signals a process and then its process group,
 * delivers one SIGTERM twice, and niolb skipped its grace in about one run of ten under it (black-box testing,
 * session 31). The window, not only the stop's beginning: the JVM hands each signal to a thread of its own, and
 * the second one's ran after the main thread had begun the stop.
 *
 * <p>Threading: the handlers run on the JVM's signal-dispatch threads; {@link #await()} on the main thread.
 */
final class StopSignals {
    private static final Logger LOG = LoggerFactory.getLogger("dev.niolb.run");

    private final CountDownLatch requested = new CountDownLatch(1);
    private final AtomicInteger received = new AtomicInteger();
    private volatile String first = "";
    private volatile boolean begun;
    private volatile Runnable beforeForcedExit = () -> { };
    private volatile long firstNanos;

    /** A signal this soon after the first is the same request delivered twice, not the operator's second word. */
    static final long SAME_REQUEST_MS = 250;

    private StopSignals() {
    }

    /** Installs the handlers; from now on SIGTERM and SIGINT no longer end the JVM by themselves. */
    static StopSignals install() {
        final StopSignals signals = new StopSignals();
        for (final String name : new String[] {"TERM", "INT"}) {
            try {
                if (Signal.handle(new Signal(name), signals::onSignal) == SignalHandler.SIG_IGN) {
                    // the JVM keeps a signal ignored at start ignored (a shell's '&' ignores SIGINT): say so
                    LOG.warn("SIG{} was ignored when niolb started, so it will not stop niolb: use SIGTERM", name);
                }
            } catch (final IllegalArgumentException e) {
                // the JVM reserves the signal (e.g. with -Xrs): the default action then ends the process
                LOG.warn("cannot handle SIG{}: {}", name, e.getMessage());
            }
        }
        return signals;
    }

    private void onSignal(final Signal signal) {
        final long now = System.nanoTime();
        if (received.incrementAndGet() == 1) {
            firstNanos = now;
            if (requested.getCount() == 1) {
                first = "SIG" + signal.getName();
            } else {
                // after a takeover: the stop is on already, and this is the operator's first word; said, so that
                // the operator (and a test) knows it was heard before sending the second
                LOG.info("SIG{}: the stop under way ({}) goes on; a second signal exits without waiting for sessions",
                    signal.getName(), first);
            }
            requested.countDown();
        } else if (!begun || now - firstNanos < SAME_REQUEST_MS * 1_000_000L) {
            LOG.info("SIG{} as the stop begins: taken as the same request", signal.getName());
        } else {
            LOG.warn("second signal (SIG{}): exiting now without waiting for sessions", signal.getName());
            beforeForcedExit.run(); // what paced warnings left out is said, not lost (black-box testing, session 34)
            System.exit(128 + signal.getNumber());
        }
    }

    /** Runs before a second signal's exit: says what the engine's paced warnings left out. Any thread. */
    void beforeForcedExit(final Runnable action) {
        this.beforeForcedExit = action;
    }

    /** The stop has begun, and said so: a signal from now on is a second one. The main thread. */
    void begun() {
        begun = true;
    }

    /**
     * Asks for a stop as a signal would, with {@code why} as the signal's name (a takeover). Not counted as a
     * signal: the operator's first SIGTERM after it still waits for sessions, only a second exits at once. Any
     * thread.
     */
    void request(final String why) {
        if (requested.getCount() == 1 && received.get() == 0) {
            first = why;
        }
        requested.countDown();
    }

    /** Whether a stop was asked for (a signal, a takeover). */
    boolean stopRequested() {
        return requested.getCount() == 0;
    }

    /** Blocks until the first signal; returns its name, e.g. {@code SIGTERM}. */
    String await() throws InterruptedException {
        requested.await();
        return first;
    }
}
