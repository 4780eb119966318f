package dev.niolb.cli;

/**
 * A runtime failure the user can act on (a port in use, an address not on this host): reported as its message
 * alone, exit code 1. Its message is the whole report, so it carries no stack trace.
 */
final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Failure(final String message) {
        super(message, null, false, false);
    }
}
