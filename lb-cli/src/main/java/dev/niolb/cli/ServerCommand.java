package dev.niolb.cli;

import dev.niolb.config.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code niolb server drain|ready|maint|weight|add|remove}: change a server of a running niolb through its admin
 * API ({@code POST/DELETE /api/groups/GROUP/servers[/SERVER]}), and print the server as it is after the change.
 * A refusal (no such group or server, a bad token) is the admin's message in one line, exit code 1.
 *
 * <p>Threading: the main thread, one request per run.
 */
@Command(name = "server", mixinStandardHelpOptions = true,
    exitCodeListHeading = ExitCodes.HEADING, exitCodeList = {ExitCodes.CLIENT_OK, ExitCodes.CLIENT_FAILED, ExitCodes.USAGE}, versionProvider = Version.class,
    description = {"Change a server of a running niolb through its admin API.",
        "Prints the server after the change; exits 1 with the admin's reason when it refuses."},
    footerHeading = "%nExamples:%n",
    footer = {"  niolb server drain web web-2", "  niolb server weight web web-2 5",
        "  niolb server add web 10.0.0.7:80,weight=2,name=web-7 --admin 127.0.0.1:9900",
        "  niolb server remove web web-7 --admin-token-file /etc/niolb/admin-token"})
public final class ServerCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    /** {@code niolb server} alone: a usage error. */
    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(),
            "missing command: expected drain, ready, maint, weight, add or remove");
    }

    @Command(name = "drain", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Take no new sessions on the server; its sessions finish (the group's drain-timeout applies).")
    int drain(@Parameters(paramLabel = "GROUP", description = "The group.") final String group,
              @Parameters(paramLabel = "SERVER", description = "The server's name (niolb stats shows it).")
              final String server,
              @Mixin final AdminTarget target) throws InterruptedException {
        return set(target, group, server, AdminClient.form("state", "drain"));
    }

    @Command(name = "ready", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Let a drained or maintenance server take sessions again (health checks decide UP or DOWN).")
    int ready(@Parameters(paramLabel = "GROUP", description = "The group.") final String group,
              @Parameters(paramLabel = "SERVER", description = "The server's name.") final String server,
              @Mixin final AdminTarget target) throws InterruptedException {
        return set(target, group, server, AdminClient.form("state", "ready"));
    }

    @Command(name = "maint", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Maintenance: no new sessions until 'niolb server ready'. Health checks go on and their "
            + "verdicts are logged, so ready brings the server back UP or DOWN as they judge it.")
    int maint(@Parameters(paramLabel = "GROUP", description = "The group.") final String group,
              @Parameters(paramLabel = "SERVER", description = "The server's name.") final String server,
              @Mixin final AdminTarget target) throws InterruptedException {
        return set(target, group, server, AdminClient.form("state", "maint"));
    }

    @Command(name = "weight", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Set the server's weight, 0.." + ServerConfig.MAX_WEIGHT + " (0 takes no new sessions).")
    int weight(@Parameters(paramLabel = "GROUP", description = "The group.") final String group,
               @Parameters(paramLabel = "SERVER", description = "The server's name.") final String server,
               @Parameters(paramLabel = "N", description = "The new weight.") final int weight,
               @Mixin final AdminTarget target) throws InterruptedException {
        if (weight < 0 || weight > ServerConfig.MAX_WEIGHT) {
            throw new ParameterException(spec.commandLine().getSubcommands().get("weight"),
                "weight must be 0.." + ServerConfig.MAX_WEIGHT + ", got " + weight);
        }
        return set(target, group, server, AdminClient.form("weight", Integer.toString(weight)));
    }

    @Command(name = "add", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Add a server to a group of the running niolb: a reload keeps it unless the file names it; a "
            + "restart forgets it (put it in the config to keep it).")
    int add(@Parameters(paramLabel = "GROUP", description = "The group.") final String group,
            @Parameters(paramLabel = "SERVER", description = "HOST:PORT[,weight=N][,name=NAME][,backup], as --server.")
            final String server,
            @Mixin final AdminTarget target) throws InterruptedException {
        // a spec that cannot be one is the user's mistake, said before asking niolb: exit 2 as for a bad weight,
        // not the runtime failure (1) of the admin API's 400 (black-box testing, session 31). A name (DNS) is the
        // API's to refuse, with its advice
        if (!dev.niolb.config.DnsServerSpec.isNameSpec(server)) {
            try {
                ServerConfig.parse(server);
            } catch (final IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine().getSubcommands().get("add"), e.getMessage());
            }
        }
        final Map<String, Object> answer = target.client().post(groupPath(group), AdminClient.form("server", server));
        return print("added", answer);
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Remove a server from a group of the running niolb: it takes no new session and is forgotten "
            + "once its sessions have finished.")
    int remove(@Parameters(paramLabel = "GROUP", description = "The group.") final String group,
               @Parameters(paramLabel = "SERVER", description = "The server's name.") final String server,
               @Mixin final AdminTarget target) throws InterruptedException {
        return print("removed", target.client().delete(serverPath(group, server)));
    }

    private int set(final AdminTarget target, final String group, final String server, final Map<String, String> form)
        throws InterruptedException {
        return print("", target.client().post(serverPath(group, server), form));
    }

    private static String groupPath(final String group) {
        return "/api/groups/" + AdminClient.segment(group) + "/servers";
    }

    private static String serverPath(final String group, final String server) {
        return groupPath(group) + "/" + AdminClient.segment(server);
    }

    /** {@code web/web-2 127.0.0.1:8081 DRAIN weight 3, 2 active}: the server as the admin API returned it. */
    private int print(final String verb, final Map<String, Object> answer) {
        final PrintWriter out = spec.commandLine().getOut();
        out.println(TerminalText.safe(describe(verb, answer)));
        out.flush();
        return 0;
    }

    static String describe(final String verb, final Map<String, Object> answer) {
        if (!(answer.get("server") instanceof Map<?, ?> server)) {
            return verb.isEmpty() ? "done" : verb;
        }
        return answer.get("group") + "/" + server.get("name") + " " + server.get("address") + " "
            + (verb.isEmpty() ? "" : verb + ", ") + String.valueOf(server.get("state")).toUpperCase(Locale.ROOT)
            + " weight " + server.get("weight") + ", "
            + server.get("active") + " active"
            + (answer.get("warning") == null ? "" : "; warning: " + answer.get("warning"));
    }
}
