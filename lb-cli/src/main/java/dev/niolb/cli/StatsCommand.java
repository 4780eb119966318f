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
@Command(name = "stats", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
    description = {"Show the listeners and servers of a running niolb, from its admin API.",
        "Exits 1 with one line when the admin API cannot be reached."},
    footer = {"", "Example:", "  niolb stats --admin 127.0.0.1:9900 --watch 1s"})
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
        final AdminClient admin = target.client();
        String table = fetch(admin); // the first failure is final: a wrong address should not spin
        while (true) {
            out.print(watch == null || json ? table : CLEAR + table);
            out.flush();
            if (watch == null) {
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

    private String fetch(final AdminClient admin) throws InterruptedException {
        final String body = admin.get("/api/stats");
        final Map<String, Object> stats;
        try {
            stats = JsonReader.parseObject(body);
        } catch (final IllegalArgumentException e) {
            throw new Failure("the admin API at " + admin.where() + " did not answer with stats: " + e.getMessage());
        }
        return json ? body.strip() + "\n" : StatsTables.render(stats);
    }
}
