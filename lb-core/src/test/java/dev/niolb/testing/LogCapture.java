package dev.niolb.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * The test thread's (the appender takes events from any thread). What one logger logs while a test runs, for a
 * test that waits for a log line or checks one: {@code try (LogCapture log = LogCapture.of("dev.niolb.health"))}.
 */
public final class LogCapture implements AutoCloseable {
    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    private LogCapture(final Logger logger) {
        this.logger = logger;
        appender.start();
        logger.addAppender(appender);
    }

    /** Starts capturing what {@code loggerName} logs. */
    public static LogCapture of(final String loggerName) {
        return new LogCapture((Logger) LoggerFactory.getLogger(loggerName));
    }

    /** The events so far, in order. */
    public List<ILoggingEvent> events() {
        synchronized (appender) { // the lock AppenderBase.doAppend holds while it adds to the list
            return List.copyOf(appender.list);
        }
    }

    /** The formatted messages so far, in order. */
    public List<String> messages() {
        return events().stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
    }
}
