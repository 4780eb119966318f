package dev.niolb.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.Callable;

import static org.assertj.core.api.Assertions.assertThat;

class FailureHandlerTest {
    @Command(name = "fails")
    static final class Fails implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new Failure("cannot listen on 127.0.0.1:80: permission denied");
        }
    }

    @Command(name = "misconfigured")
    static final class Misconfigured implements Callable<Integer> {
        @Override
        public Integer call() {
            throw Failure.configuration("niolb.yaml:1: needs 'groups'");
        }
    }

    private static String run(final boolean toJournal) {
        final StringWriter err = new StringWriter();
        final int code = new CommandLine(new Fails()).setErr(new PrintWriter(err))
            .setExecutionExceptionHandler(new FailureHandler(toJournal)).execute();
        assertThat(code).isEqualTo(1);
        return err.toString();
    }

    @Test
    void onATerminalTheFailureIsItsOneLine() {
        assertThat(run(false)).isEqualTo("niolb: cannot listen on 127.0.0.1:80: permission denied"
            + System.lineSeparator());
    }

    @Test
    void toTheJournalTheLineCarriesPriorityErrSoJournalctlPErrShowsIt() {
        assertThat(run(true)).isEqualTo("<3>niolb: cannot listen on 127.0.0.1:80: permission denied"
            + System.lineSeparator());
    }

    @Test
    void aConfigurationFailureIsItsOneLineWithExitCode78SoTheUnitDoesNotRestartIntoIt() {
        final StringWriter err = new StringWriter();
        final int code = new CommandLine(new Misconfigured()).setErr(new PrintWriter(err))
            .setExecutionExceptionHandler(new FailureHandler(false)).execute();
        assertThat(code).isEqualTo(78);
        assertThat(err).hasToString("niolb: niolb.yaml:1: needs 'groups'" + System.lineSeparator());
    }
}
