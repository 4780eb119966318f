package dev.niolb.cli.log;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.util.FileSize;
import dev.niolb.accesslog.AccessLog;
import dev.niolb.config.LogConfig;
import dev.niolb.config.OperatorFile;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * Sets up the log outputs a {@link LogConfig} asks for on top of logback.xml, with Logback's own appenders: the
 * access log ({@value AccessLog#LOGGER}) into a {@link RollingFileAppender} rotated daily and at a size
 * ({@code FILE.yyyy-MM-dd.N.gz}, kept for some days), and both logs to syslog ({@link SyslogUdpAppender} over UDP,
 * {@link SyslogUnixAppender} to a local socket such as {@code /dev/log}).
 *
 * <p>An access log file replaces the access logger's appenders (standard output in the shipped logback.xml, or
 * whatever an operator's own Logback configuration gave it). Syslog is added beside what is there. Where SLF4J is
 * not bound to Logback (another binding on the class path) nothing can be set up and {@link #apply} says so.
 *
 * <p>Threading: called once at start-up, on the main thread, before the engine logs anything of its own.
 */
public final class LogOutputs {
    private static final org.slf4j.Logger LOG = LoggerFactory.getLogger("dev.niolb.run");

    /** Why an output could not be set up: the message is the whole report, for the user to act on. */
    public static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refused(final String message) {
            super(message, null, false, false);
        }
    }

    private LogOutputs() {
    }

    /**
     * Adds the outputs {@code logs} names to the running Logback configuration.
     *
     * @throws Refused when the access log file cannot be written or the syslog address is unusable
     */
    public static void apply(final LogConfig logs) {
        if (logs.accessLogFile() == null && logs.syslog() == null) {
            return;
        }
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            throw new Refused("the log outputs need Logback, and SLF4J is bound to "
                + LoggerFactory.getILoggerFactory().getClass().getName());
        }
        final Logger access = context.getLogger(AccessLog.LOGGER);
        if (logs.accessLogFile() != null) {
            final Appender<ILoggingEvent> file = accessFile(context, logs);
            access.detachAndStopAllAppenders();
            access.setAdditive(false);
            access.addAppender(file);
        }
        if (logs.syslog() != null) {
            context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(queued(context, syslog(context, logs, true)));
            if (!access.isAdditive()) { // the shipped logback.xml keeps access lines out of the root's appenders
                // an appender of its own, without the queue and never waiting: the access log has a writer thread and
                // counted queues of its own, and a line the socket does not take at once is counted lost there, where
                // the queue dropped it with no count when the socket's reader fell behind (black-box testing,
                // session 30), and a send that waited held the file's and stdout's lines back
                access.addAppender(syslog(context, logs, false));
            }
        }
    }

    /**
     * A takeover's successor writes and rotates the access log file from now on: this process appends each of its
     * last lines to the file at the path and never rotates it ({@link AccessFileAppender#leaveToSuccessor}).
     * Nothing without an access log file.
     */
    public static void leaveAccessLogToSuccessor() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context
            && context.getLogger(AccessLog.LOGGER).getAppender("ACCESS_FILE") instanceof AccessFileAppender file) {
            file.leaveToSuccessor();
        }
    }

    /**
     * Opens the access log file again at its path, for an outside rotation (logrotate's rename, then SIGHUP or
     * SIGUSR1): lines go to a new file at the path rather than on into the renamed or deleted one. Any thread.
     *
     * @return the path reopened, or null when there is no access log file
     * @throws IOException when the file cannot be opened (lines then keep going where they went)
     */
    public static String reopenAccessLog() throws IOException {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)
            || !(context.getLogger(AccessLog.LOGGER).getAppender("ACCESS_FILE")
                instanceof RollingFileAppender<ILoggingEvent> file)
            || !file.isStarted()) {
            return null;
        }
        final Path path = Path.of(file.getFile());
        try {
            if (path.getParent() != null) {
                Files.createDirectories(path.getParent());
            }
            file.openFile(file.getFile()); // under the appender's own lock, as its size rollover does
        } catch (final FileAlreadyExistsException e) { // a part of the path that must be a directory is a file
            throw new IOException(path + ": " + e.getFile() + " is not a directory", e);
        } catch (final IOException e) { // the reason, not only a path (black-box testing, session 28)
            throw new IOException(path + ": " + OperatorFile.reason(e), e);
        }
        // the size rollover counts what it wrote since its last rollover, not the file's length: count afresh
        if (file.getRollingPolicy() instanceof ch.qos.logback.core.rolling.TimeBasedRollingPolicy<?> policy
            && policy.getTimeBasedFileNamingAndTriggeringPolicy()
                instanceof ch.qos.logback.core.rolling.SizeAndTimeBasedFileNamingAndTriggeringPolicy<?> size) {
            final ch.qos.logback.core.rolling.LengthCounter counter = size.getLengthCounter();
            counter.reset();
            if (counter instanceof ch.qos.logback.core.rolling.LengthCounterBase base) {
                base.add(Files.size(path)); // what the file holds already (none, after logrotate's rename)
            }
        }
        return file.getFile();
    }

    static Appender<ILoggingEvent> accessFile(final LoggerContext context, final LogConfig logs) {
        final Path path = absolute(logs.accessLogFile());
        checkWritable(path);
        final RollingFileAppender<ILoggingEvent> appender = new AccessFileAppender();
        appender.setContext(context);
        appender.setName("ACCESS_FILE");
        appender.setFile(path.toString());
        // no buffer of Logback's in front of the file (a line is written and flushed at once either way): a line
        // whose write failed on a full disk stayed in it, counted lost, and reached a file when the stream was
        // closed or reopened once there was room, counted twice (black-box CI flake, sessions 29 and 30)
        appender.setBufferSize(new FileSize(1));
        final RetainingRollingPolicy<ILoggingEvent> policy =
            new RetainingRollingPolicy<>(path, logs.accessLogMaxHistory());
        policy.setContext(context);
        policy.setParent(appender);
        policy.setFileNamePattern(path + ".%d{yyyy-MM-dd}.%i.gz");
        policy.setMaxFileSize(new FileSize(logs.accessLogMaxSize()));
        policy.start();
        appender.setRollingPolicy(policy);
        final PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%msg%n");
        encoder.setCharset(java.nio.charset.StandardCharsets.UTF_8);
        encoder.start();
        appender.setEncoder(encoder);
        appender.start();
        if (!appender.isStarted()) {
            throw new Refused("cannot write the access log to " + path + " (Logback refused it; run with "
                + "-Dlogback.debug=true to see why)");
        }
        return appender;
    }

    /**
     * What {@code run} would refuse about the access log's file, found without creating anything, for
     * {@code niolb check}: a symbolic link, a device or a directory, a parent that is a file, or a file or
     * directory this user may not write ({@code check} said valid where {@code run} then exited 78; black-box
     * testing, session 29). A missing directory {@code run} creates, and says so.
     *
     * @throws Refused with run's own line
     */
    public static void preflight(final LogConfig logs) {
        if (logs.accessLogFile() == null) {
            return;
        }
        final Path path = absolute(logs.accessLogFile());
        refuseWhatRotationCannotTake(path);
        for (Path p = path.getParent(); p != null; p = p.getParent()) {
            if (Files.exists(p) && !Files.isDirectory(p)) {
                throw new Refused("cannot write the access log to " + path + ": " + p + " is not a directory");
            }
        }
        // the file, else the nearest directory that exists: run writes there (access(2): this user's rights)
        Path writes = path;
        while (writes != null && !Files.exists(writes)) {
            writes = writes.getParent();
        }
        if (writes != null && !Files.isWritable(writes)) {
            throw new Refused("cannot write the access log to " + path + ": " + (readOnly(writes)
                ? "read-only file system" : "permission denied") + (writes.equals(path) ? "" : " (in " + writes + ")"));
        }
    }

    private static boolean readOnly(final Path path) {
        try {
            return Files.getFileStore(path).isReadOnly();
        } catch (final IOException e) {
            return false;
        }
    }

    /** The access log's path, absolute; an empty one is refused (it named the working directory). */
    private static Path absolute(final Path file) {
        if (file.toString().isBlank()) {
            throw new Refused("access-log-file is empty: name a file, or leave it out for standard output");
        }
        return file.toAbsolutePath();
    }

    /**
     * The rollover renames the file at its path (at start too, for a file from an earlier day): a device such as
     * /dev/null or /dev/stdout would be renamed away, a symbolic link instead of its target.
     */
    private static void refuseWhatRotationCannotTake(final Path path) {
        if (Files.isSymbolicLink(path)) {
            throw new Refused("cannot write the access log to " + path + ": a symbolic link (rotation would "
                + "rename the link, not its file); name the file itself");
        }
        if (Files.exists(path) && !Files.isRegularFile(path)) {
            throw new Refused("cannot write the access log to " + path + ": not a regular file (rotation "
                + "renames it); for standard output leave access-log-file out");
        }
    }

    /** Opens the file as Logback will, so that a missing directory or permission is one line before the start. */
    private static void checkWritable(final Path path) {
        try {
            if (path.getParent() != null && !Files.isDirectory(path.getParent())) {
                Files.createDirectories(path.getParent());
                // not silently: a typo in the path makes a tree somewhere (black-box testing, session 29)
                LOG.info("access log: created the directory {}", path.getParent());
            }
            refuseWhatRotationCannotTake(path);
            try (FileChannel ignored = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                // only opened
            }
        } catch (final FileAlreadyExistsException e) { // a part of the path that must be a directory is a file
            throw new Refused("cannot write the access log to " + path + ": " + e.getFile() + " is not a directory");
        } catch (final IOException e) {
            throw new Refused("cannot write the access log to " + path + ": " + OperatorFile.reason(e));
        }
    }

    /**
     * {@code appender} behind a queue and a thread of its own, as logback.xml puts standard output: a syslog
     * receiver that stops reading (a stuck {@code /dev/log}) then costs dropped lines, never a stalled event loop.
     */
    private static Appender<ILoggingEvent> queued(final LoggerContext context, final Appender<ILoggingEvent> appender) {
        final AsyncAppender queue = new AsyncAppender();
        queue.setContext(context);
        queue.setName("ASYNC_" + appender.getName());
        queue.setQueueSize(8192);
        queue.setDiscardingThreshold(0);
        queue.setNeverBlock(true);
        queue.addAppender(appender);
        queue.start();
        return queue;
    }

    private static Appender<ILoggingEvent> syslog(final LoggerContext context, final LogConfig logs,
                                                  final boolean waits) {
        final Rfc5424Layout layout = new Rfc5424Layout(logs.facilityCode(), Rfc5424Layout.localHostName(), "niolb",
            ProcessHandle.current().pid());
        layout.setContext(context);
        layout.start();
        if (logs.syslog().unix() != null) {
            final SyslogUnixAppender appender = new SyslogUnixAppender(layout, logs.syslog().unix(), waits);
            appender.setContext(context);
            appender.setName(waits ? "SYSLOG" : "SYSLOG_ACCESS");
            appender.start();
            if (!appender.isStarted()) {
                throw new Refused("cannot send syslog messages to " + logs.syslog());
            }
            return appender;
        }
        final SyslogUdpAppender appender = new SyslogUdpAppender(layout);
        appender.setContext(context);
        appender.setName(waits ? "SYSLOG" : "SYSLOG_ACCESS");
        appender.setSyslogHost(logs.syslog().udp().getHostString());
        appender.setPort(logs.syslog().udp().getPort());
        appender.setFacility(logs.syslogFacility().toUpperCase(Locale.ROOT));
        appender.start();
        if (!appender.isStarted()) {
            throw new Refused("cannot send syslog messages to " + logs.syslog());
        }
        return appender;
    }
}
