package dev.niolb.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Signals that niolb gives no meaning but whose default action ends a process at once, with no line in the log and
 * every session dropped: SIGUSR2 and SIGALRM. niolb logs them and goes on; a stop is SIGTERM, a reload SIGHUP, and
 * SIGUSR1 reopens the access log ({@link ReopenLogs}), as nginx does.
 *
 * <p>A signal the JVM keeps for itself (SIGUSR2 on HotSpot) cannot be handled, and is then the JVM's business,
 * which does not end the process. Lines are at most one per signal name a second, so that a storm cannot fill
 * the log.
 *
 * <p>Threading: handlers run on the JVM's signal-dispatch threads.
 */
final class StraySignals {
    private static final Logger LOG = LoggerFactory.getLogger("dev.niolb.run");
    private static final long LOG_EVERY_NANOS = 1_000_000_000L;
    static final String[] NAMES = {"USR2", "ALRM"};

    private final AtomicLong[] lastLogged = new AtomicLong[NAMES.length];

    private StraySignals() {
        for (int i = 0; i < NAMES.length; i++) {
            lastLogged[i] = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS);
        }
    }

    /** From now on those signals are logged and otherwise ignored. */
    static void install() {
        final StraySignals stray = new StraySignals();
        for (int i = 0; i < NAMES.length; i++) {
            final int index = i;
            try {
                Signal.handle(new Signal(NAMES[i]), signal -> stray.received(index, signal));
            } catch (final IllegalArgumentException reservedByTheJvm) {
                LOG.debug("SIG{} is the JVM's: {}", NAMES[i], reservedByTheJvm.getMessage());
            }
        }
    }

    private void received(final int index, final Signal signal) {
        final long now = System.nanoTime();
        final long last = lastLogged[index].get();
        if (now - last >= LOG_EVERY_NANOS && lastLogged[index].compareAndSet(last, now)) {
            LOG.warn("SIG{} ignored: niolb stops on SIGTERM, reloads on SIGHUP and reopens its access log on SIGUSR1",
                signal.getName());
        }
    }
}
