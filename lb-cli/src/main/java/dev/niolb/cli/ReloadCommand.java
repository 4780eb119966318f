package dev.niolb.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code niolb reload}: ask a running niolb to read its config file again and apply it ({@code POST /reload}, the
 * same as SIGHUP), and print what changed. A config that does not validate is refused with the admin's one-line
 * reason, exit code 1, and the running one stays.
 *
 * <p>Threading: the main thread, one request per run.
 */
@Command(name = "reload", mixinStandardHelpOptions = true,
    exitCodeListHeading = ExitCodes.HEADING, exitCodeList = {ExitCodes.CLIENT_OK, ExitCodes.CLIENT_FAILED, ExitCodes.USAGE}, versionProvider = Version.class, sortOptions = false,
    description = {"Make a running niolb read its config file again and apply it, as SIGHUP does.",
        "Prints what changed; exits 1 with the reason when the new config is refused (the running one stays)."},
    footerHeading = "%nExample:%n",
    footer = {"  niolb reload --config /etc/niolb/niolb.yaml"})
public final class ReloadCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private AdminTarget target;

    @Override
    public Integer call() throws InterruptedException {
        final Map<String, Object> answer = target.client().post("/reload", Map.of());
        final PrintWriter out = spec.commandLine().getOut();
        out.println(TerminalText.safe("reloaded " + answer.get("source") + ": " + answer.get("summary")));
        if (answer.get("replaced") instanceof List<?> replaced) {
            for (final Object item : replaced) {
                out.println(TerminalText.safe("replaced what was set at run time: " + item));
            }
        }
        if (answer.get("not_applied") instanceof List<?> notApplied) {
            for (final Object item : notApplied) {
                out.println(TerminalText.safe("not applied until a restart: " + item));
            }
        }
        out.flush();
        return 0;
    }
}
