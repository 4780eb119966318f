package dev.niolb.cli;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.Endpoint;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code niolb demo}: three embedded backends on loopback and niolb in front of them, to see it balance.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    exitCodeListHeading = ExitCodes.HEADING, exitCodeList = {ExitCodes.RUN_OK, ExitCodes.RUN_FAILED, ExitCodes.USAGE, ExitCodes.RUN_FORCED}, versionProvider = Version.class, sortOptions = false,
    description = {"Start three demo backends on 127.0.0.1 and niolb in front of them, until Ctrl-C.",
        "Each backend greets a connection with its name, then echoes what it receives."})
public final class DemoCommand implements Callable<Integer> {
    static final int BACKENDS = 3;
    /** Shorter than run's 30s: a forgotten {@code nc} should not hold Ctrl-C for half a minute. */
    static final Duration GRACE = Duration.ofSeconds(5);

    @Spec
    private CommandSpec spec;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8080",
        converter = Converters.ListenAddress.class, description = "Address to accept on (default: ${DEFAULT-VALUE}).")
    private Endpoint listen;

    @Option(names = "--balance", paramLabel = "ALG", defaultValue = "roundrobin",
        converter = Converters.AlgorithmName.class,
        description = "roundrobin, weighted, leastconn, source, random or leasttime (default: ${DEFAULT-VALUE}).")
    private Algorithm balance;

    /**
     * One loop by default, unlike {@code run}: each loop keeps its own round-robin position, so with several
     * loops consecutive connections (spread over loops by the kernel) do not visit the backends in plain turn,
     * and the demo should show the rotation plainly.
     */
    @Option(names = "--threads", paramLabel = "N", defaultValue = "1", converter = Converters.WholeOrAuto.class,
        description = "Event loops, or auto: one per core, as run takes it (default: ${DEFAULT-VALUE}, so that the "
            + "rotation is easy to follow).")
    private Integer threads;

    @Mixin
    private AdminOptions observability;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (listen.protocol() != Protocol.TCP) { // its backends greet TCP clients: udp:// listened on TCP, unsaid
            throw new ParameterException(spec.commandLine(), "--listen: the demo serves TCP only, got "
                + "udp://" + Endpoint.hostPort(listen.address()) + " (niolb run takes udp:// listeners)");
        }
        final List<DemoBackend> backends = new ArrayList<>();
        try {
            final List<ServerConfig> servers = new ArrayList<>();
            for (int i = 1; i <= BACKENDS; i++) {
                final DemoBackend backend = DemoBackend.start("backend-" + i);
                backends.add(backend);
                servers.add(new ServerConfig(backend.name(), backend.address(), ServerConfig.DEFAULT_WEIGHT));
            }
            final Config config = RunCommand.validConfig(spec, () -> new Config(
                RunCommand.threadsOf(threads), GRACE,
                List.of(new ListenerConfig(listen.address(), RunCommand.GROUP, TcpOptions.DEFAULTS)),
                List.of(new TargetGroupConfig(RunCommand.GROUP, balance, servers)))
                .withAdmin(observability.adminConfig()).withAccessLog(observability.accessLog())
                .withLogs(observability.logs()));
            try {
                // flags that clash are a usage error (2), as run says them, not a config's (78)
                dev.niolb.admin.AdminServer.refuseListenersAddresses(config.admin(), config.listeners());
            } catch (final IOException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            return new Foreground(config).run(this::printHowToTry);
        } finally {
            backends.forEach(DemoBackend::close);
        }
    }

    private void printHowToTry(final LoadBalancer lb) {
        final InetSocketAddress bound = lb.localAddresses().getFirst();
        // a wildcard bind is reached through loopback
        final InetAddress ip = bound.getAddress().isAnyLocalAddress() ? InetAddress.getLoopbackAddress()
            : bound.getAddress();
        final String host = ip.getHostAddress();
        final int port = bound.getPort();
        final PrintWriter out = spec.commandLine().getOut();
        out.println();
        out.println("niolb demo: " + BACKENDS + " backends behind " + Endpoint.hostPort(new InetSocketAddress(ip, port))
            + ". Try it from another terminal:");
        out.println("  nc " + host + " " + port + "      # then type a line: the backend echoes it");
        out.println("  for i in 1 2 3 4 5 6; do exec 3<>/dev/tcp/" + host + "/" + port
            + "; head -n1 <&3; exec 3<&-; done");
        final InetSocketAddress admin = lb.adminAddress();
        if (admin != null) {
            final String where = Endpoint.hostPort(admin.getAddress().isAnyLocalAddress()
                ? new InetSocketAddress(InetAddress.getLoopbackAddress(), admin.getPort()) : admin);
            out.println("Stats page: http://" + where + "/  (in a terminal: niolb stats --admin " + where + " --watch)");
        }
        out.println("Each backend logs the connections it serves. Ctrl-C stops niolb.");
        out.println();
        out.flush();
    }
}
