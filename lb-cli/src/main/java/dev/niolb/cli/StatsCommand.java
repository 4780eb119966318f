package dev.niolb.cli;

import dev.niolb.json.JsonReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code niolb stats}: the listeners and servers of a running niolb as terminal tables, read from its admin API
 * ({@code GET /api/stats}); {@code --watch} redraws them until interrupted.
 */
@Command(name = "stats", mixinStandardHelpOptions = true,
    exitCodeListHeading = ExitCodes.HEADING, exitCodeList = {ExitCodes.CLIENT_OK, ExitCodes.CLIENT_FAILED, ExitCodes.USAGE}, versionProvider = Version.class, sortOptions = false,
    description = {"Show the listeners and servers of a running niolb, from its admin API.",
        "Exits 1 with one line when the admin API cannot be reached."},
    footerHeading = "%nExample:%n",
    footer = {"  niolb stats --admin 127.0.0.1:9900 --watch 1s"})
public final class StatsCommand implements Callable<Integer> {
    private static final String CLEAR = "\033[H\033[2J";

    @Spec
    private CommandSpec spec;

    @Mixin
    private AdminTarget target;

    @Option(names = "--json", description = "Print the admin API's JSON document (GET /api/stats) as it is, one "
        + "line per sample with --watch, instead of tables.")
    private boolean json;

    @Option(names = "--watch", paramLabel = "INTERVAL", arity = "0..1", fallbackValue = "2s",
        converter = Converters.DurationValue.class,
        description = "Redraw every INTERVAL (default 2s) until interrupted (Ctrl-C).")
    private Duration watch;

    @Override
    public Integer call() throws InterruptedException {
        if (watch != null && (watch.isZero() || watch.isNegative())) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--watch interval must be positive");
        }
        final PrintWriter out = spec.commandLine().getOut();
        final AdminClient admin = target.client(false); // reading needs no token
        String table = fetch(admin); // the first failure is final: a wrong address should not spin
        // redrawn in place on a terminal; to a file, a pipe or TERM=dumb, one sample after another, a blank line apart
        final boolean redraw = watch != null && !json && terminal();
        boolean first = true;
        while (true) {
            out.print(redraw ? CLEAR + table : watch == null || json || first ? table : "\n" + table);
            first = false;
            out.flush();
            if (watch == null) {
                return 0;
            }
            if (out.checkError() || System.out.checkError()) {
                // nobody reads any more (| head -1 has exited): the JVM ignores SIGPIPE and the streams swallow
                // EPIPE, so without this the watch polled the admin API for ever (black-box testing, session 24)
                return 0;
            }
            Thread.sleep(watch.toMillis());
            try {
                table = fetch(admin);
            } catch (final Failure e) {
                final String line = "niolb: " + e.getMessage() + " (retrying every " + watch.toMillis() + " ms)\n";
                if (json) { // stdout stays one JSON document per line
                    spec.commandLine().getErr().print(line);
                    spec.commandLine().getErr().flush();
                    table = "";
                } else {
                    table = line;
                }
            }
        }
    }

    /** Whether stdout is a terminal that understands cursor movement. */
    private static boolean terminal() {
        final java.io.Console console = System.console();
        return console != null && console.isTerminal() && !"dumb".equals(System.getenv("TERM"));
    }

    private String fetch(final AdminClient admin) throws InterruptedException {
        final String body = admin.get("/api/stats");
        final Map<String, Object> stats;
        try {
            stats = JsonReader.parseObject(body);
        } catch (final IllegalArgumentException e) {
            throw new Failure("the admin API at " + admin.where() + " did not answer with stats: " + e.getMessage());
        }
        if (!(stats.get("listeners") instanceof java.util.List) || !(stats.get("groups") instanceof java.util.List)) {
            throw new Failure("the admin API at " + admin.where() + " did not answer with stats: no listeners and "
                + "groups in its JSON (is --admin the address of niolb's admin API?)");
        }
        return json ? TerminalText.safeJson(body.strip()) + "\n" : StatsTables.render(stats);
    }
}
