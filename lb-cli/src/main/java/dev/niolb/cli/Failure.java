package dev.niolb.cli;

/**
 * A runtime failure the user can act on (a port in use, an address not on this host): reported as its message
 * alone, exit code 1. Its message is the whole report, so it carries no stack trace.
 *
 * <p>A {@link #configuration configuration} failure, one that no restart can mend because the config (or the
 * sockets systemd hands over beside it) asks what cannot be, exits 78, {@code EX_CONFIG} of sysexits.h, which
 * systemd shows as {@code status=78/CONFIG}: the shipped unit's {@code RestartPreventExitStatus=78} then leaves
 * niolb failed with its one line in the journal, instead of restarting it into the same line every few seconds for
 * ever (systemd's start limit, 5 starts in 10 s, never trips: a JVM's start and {@code RestartSec=2s} stay under it).
 */
final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Exit code of a configuration failure: {@code EX_CONFIG}. */
    static final int CONFIGURATION = 78;

    private final int exitCode;

    Failure(final String message) {
        this(message, FailureHandler.RUNTIME_FAILURE);
    }

    private Failure(final String message, final int exitCode) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    /** A failure of what the config asks, not of the moment: exit code 78. */
    static Failure configuration(final String message) {
        return new Failure(message, CONFIGURATION);
    }

    int exitCode() {
        return exitCode;
    }
}
