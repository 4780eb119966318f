package dev.niolb.cli;

import dev.niolb.config.Quoted;
import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.PrintWriter;
import java.util.List;

/**
 * Reports a usage error as one line and a hint, exit code 2.
 *
 * <p>Replaces picocli's default, which prints the whole usage text after the message: an operator who mistyped
 * one address should see what was wrong, not a screen of options.
 */
final class UsageErrorHandler implements IParameterExceptionHandler {
    @Override
    public int handleParseException(final ParameterException thrown, final String[] args) {
        final ParameterException ex = mostUseful(thrown);
        final CommandLine cmd = ex.getCommandLine();
        final PrintWriter err = cmd.getErr();
        err.println("niolb: " + firstLine(message(ex)));
        err.println(didYouMean(ex) + "Try '" + cmd.getCommandSpec().qualifiedName() + " --help'.");
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    /**
     * picocli checks required options before it reports unknown ones, so {@code --sever x} would be reported as
     * "missing --server"; the misspelt option is the real mistake and gets the "did you mean" hint. And it reports
     * the value after a misspelt option as unknown too: only the option is named.
     */
    private static ParameterException mostUseful(final ParameterException ex) {
        final List<String> unmatched = ex.getCommandLine().getUnmatchedArguments();
        if (unmatched.isEmpty()) {
            return ex;
        }
        final CommandLine cmd = ex.getCommandLine();
        if (!cmd.getSubcommands().isEmpty() && !unmatched.getFirst().startsWith("-")) {
            // 'niolb server frobnicate g s --admin X' named --admin, the first option, as the mistake
            return new UnmatchedArgumentException(cmd, "unknown command " + Quoted.of(unmatched.getFirst())
                + " (expected " + String.join(", ", cmd.getSubcommands().keySet().stream()
                .filter(name -> !cmd.getSubcommands().get(name).getCommandSpec().usageMessage().hidden()).toList())
                + ")");
        }
        final List<String> options = unmatched.stream().filter(a -> a.startsWith("-")).limit(1).toList();
        if (ex instanceof UnmatchedArgumentException && (options.isEmpty() || options.size() == unmatched.size())) {
            return ex;
        }
        return new UnmatchedArgumentException(ex.getCommandLine(), options.isEmpty() ? unmatched : options);
    }

    /**
     * Our converters' messages already name the bad value ({@code bad address 'foo': expected HOST:PORT}), so they
     * are shown without picocli's "Invalid value for option" preamble; picocli's own messages are kept.
     */
    private static String message(final ParameterException ex) {
        return ex.getCause() instanceof Converters.BadValue bad ? bad.getMessage() : ex.getMessage();
    }

    private static String didYouMean(final ParameterException ex) {
        if (ex instanceof UnmatchedArgumentException unmatched) {
            final List<String> suggestions = unmatched.getSuggestions();
            if (!suggestions.isEmpty()) {
                return "Did you mean " + String.join(" or ", suggestions.subList(0, Math.min(3, suggestions.size())))
                    + "? ";
            }
        }
        return "";
    }

    static String firstLine(final String text) {
        if (text == null || text.isBlank()) {
            return "invalid usage";
        }
        final String s = text.strip();
        final int nl = s.indexOf('\n');
        return Quoted.line(nl < 0 ? s : s.substring(0, nl).strip()); // a 200 KB flag value is cut
    }
}
