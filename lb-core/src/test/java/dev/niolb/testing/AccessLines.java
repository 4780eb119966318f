package dev.niolb.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.function.Predicate;

/**
 * The lines the engine writes to the {@code niolb.access} logger, captured in memory (and not printed) while the
 * test runs. Close it to let go of the logger.
 */
public final class AccessLines implements AutoCloseable {
    private final Logger logger = (Logger) LoggerFactory.getLogger("niolb.access");
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Level level = logger.getLevel();
    private final boolean additive = logger.isAdditive();

    public AccessLines() {
        appender.start();
        logger.addAppender(appender);
        logger.setLevel(Level.INFO);
        logger.setAdditive(false);
    }

    /** Every line so far. */
    public List<String> all() {
        final List<ILoggingEvent> events;
        synchronized (appender) { // the lock AppenderBase.doAppend holds while it adds to the list
            events = List.copyOf(appender.list);
        }
        // formatted outside the lock: formatting every line under it held the writing thread off for so long that
        // a reader polling as the engine writes made the writer crawl (AccessLinesTest took 260 s instead of 0.3)
        return events.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    /** Waits for the first line that matches, failing after {@code timeoutMs}. */
    public String await(final Predicate<String> matching, final long timeoutMs) throws Exception {
        final long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (true) {
            for (final String line : all()) {
                if (matching.test(line)) {
                    return line;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no access log line matching within " + timeoutMs + " ms; lines: " + all());
            }
            Thread.sleep(10);
        }
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        logger.setLevel(level);
        logger.setAdditive(additive);
        appender.stop();
    }
}
