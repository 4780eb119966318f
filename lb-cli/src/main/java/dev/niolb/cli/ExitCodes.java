package dev.niolb.cli;

/**
 * The exit codes each command's help and man page list (picocli's exit code list, which its man page generator
 * writes as an exit status section): the commands share most of them. Black-box testing, session 32: only
 * {@code niolb --help} listed them, while {@code run} is the command that exits 78.
 */
final class ExitCodes {
    static final String HEADING = "%nExit codes:%n";
    static final String USAGE = "2:usage error (a flag or value it does not take)";
    static final String RUN_OK = "0:stopped as asked (SIGTERM or SIGINT), or taken over";
    static final String RUN_FORCED = "128+N:a second SIGTERM (143) or SIGINT (130) during a stop: exited at once, "
        + "without waiting for sessions";
    static final String RUN_FAILED = "1:runtime failure (e.g. a port in use, an address not on this host)";
    static final String RUN_CONFIG = "78:a config it cannot start with (a file unreadable or invalid, an admin token "
        + "file without a token, an access log file that cannot be written)";
    static final String CHECK_OK = "0:the file is valid";
    static final String CHECK_FAILED = "1:it is not, or run would not start with it (one line says why)";
    static final String CLIENT_OK = "0:done";
    static final String CLIENT_FAILED = "1:the admin API unreachable, refusing, or not proven (one line says why)";

    private ExitCodes() {
    }
}
