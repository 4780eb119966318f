package dev.niolb.cli;

import dev.niolb.cli.log.JournalStream;
import dev.niolb.config.Quoted;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

import java.io.PrintWriter;

/**
 * Reports an exception from a running command as one line, exit code 1 (78 for a {@link Failure#configuration}).
 *
 * <p>A {@link Failure} is the user's to fix and is shown as it is. Anything else is a bug in niolb: one line
 * naming the exception, and the stack trace only when {@code NIOLB_DEBUG} is set, so that a bug report can
 * include it without every user seeing it.
 */
final class FailureHandler implements IExecutionExceptionHandler {
    static final int RUNTIME_FAILURE = 1;

    /** {@code <3>} (err) where stderr is the journal, so that {@code journalctl -p err} shows the line. */
    private final String priority;

    FailureHandler() {
        this(JournalStream.connected());
    }

    FailureHandler(final boolean toJournal) {
        this.priority = toJournal ? "<3>" : "";
    }

    @Override
    public int handleExecutionException(final Exception ex, final CommandLine cmd, final ParseResult parsed) {
        final PrintWriter err = cmd.getErr();
        if (ex instanceof Failure) {
            err.println(priority + "niolb: " + Quoted.line(ex.getMessage()));
        } else {
            err.println(priority + "niolb: internal error: " + UsageErrorHandler.firstLine(String.valueOf(ex)));
            if (System.getenv("NIOLB_DEBUG") != null) {
                ex.printStackTrace(err);
            } else {
                err.println("Set NIOLB_DEBUG=1 to see the stack trace.");
            }
        }
        err.flush();
        return ex instanceof Failure failure ? failure.exitCode() : RUNTIME_FAILURE;
    }
}
