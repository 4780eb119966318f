package dev.niolb.cli;

import dev.niolb.config.AdminConfig;
import dev.niolb.config.Endpoint;
import dev.niolb.json.JsonReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Locale;
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

    @Option(names = "--admin", paramLabel = "HOST:PORT", defaultValue = AdminConfig.DEFAULT_ADDRESS,
        converter = Converters.ListenAddress.class,
        description = "The admin API of the niolb to ask (default: ${DEFAULT-VALUE}).")
    private Endpoint admin;

    @Option(names = "--watch", paramLabel = "INTERVAL", arity = "0..1", fallbackValue = "2s",
        converter = Converters.DurationValue.class,
        description = "Redraw every INTERVAL (default 2s) until interrupted (Ctrl-C).")
    private Duration watch;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    @Override
    public Integer call() throws InterruptedException {
        if (watch != null && (watch.isZero() || watch.isNegative())) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--watch interval must be positive");
        }
        final PrintWriter out = spec.commandLine().getOut();
        String table = fetch(); // the first failure is final: a wrong address should not spin
        while (true) {
            out.print(watch == null ? table : CLEAR + table);
            out.flush();
            if (watch == null) {
                return 0;
            }
            Thread.sleep(watch.toMillis());
            try {
                table = fetch();
            } catch (final Failure e) {
                table = "niolb: " + e.getMessage() + " (retrying every " + watch.toMillis() + " ms)\n";
            }
        }
    }

    private String fetch() throws InterruptedException {
        final String where = Endpoint.hostPort(admin.address());
        final HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + where + "/api/stats"))
            .timeout(Duration.ofSeconds(5)).GET().build();
        final HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (final ConnectException e) {
            throw new Failure("cannot reach the admin API at " + where + ": connection refused (is niolb running "
                + "with --admin " + where + "?)");
        } catch (final HttpTimeoutException e) {
            throw new Failure("cannot reach the admin API at " + where + ": timed out");
        } catch (final IOException e) {
            throw new Failure("cannot reach the admin API at " + where + ": "
                + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().toLowerCase(Locale.ROOT)));
        }
        if (response.statusCode() != 200) {
            throw new Failure("the admin API at " + where + " answered HTTP " + response.statusCode());
        }
        final Map<String, Object> stats;
        try {
            stats = JsonReader.parseObject(response.body());
        } catch (final IllegalArgumentException e) {
            throw new Failure("the admin API at " + where + " did not answer with stats: " + e.getMessage());
        }
        return StatsTables.render(stats);
    }
}
