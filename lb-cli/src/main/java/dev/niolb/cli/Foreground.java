package dev.niolb.cli;

import dev.niolb.LoadBalancer;
import dev.niolb.admin.AdminServer;
import dev.niolb.admin.BearerToken;
import dev.niolb.backend.OperatorStates;
import dev.niolb.backend.Server;
import dev.niolb.backend.ServerState;
import dev.niolb.backend.TargetGroup;
import dev.niolb.cli.systemd.ListeningSockets;
import dev.niolb.cli.takeover.Takeover;
import dev.niolb.cli.takeover.TakeoverServer;
import dev.niolb.cli.systemd.SystemdNotify;
import dev.niolb.cli.systemd.SystemdWatchdog;
import dev.niolb.config.Config;
import dev.niolb.config.Durations;
import dev.niolb.config.Endpoint;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TokenFile;
import dev.niolb.config.TransportChoice;
import dev.niolb.config.file.ConfigFile;
import dev.niolb.config.file.ConfigSource;
import dev.niolb.transport.epoll.InheritedSockets;
import dev.niolb.transport.epoll.EpollTransport;
import dev.niolb.cli.log.LogOutputs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Runs the engine in the foreground: start (the engine, then its admin API: this is where the process is put
 * together), one start-up line, wait for SIGTERM or SIGINT, stop gracefully.
 *
 * <p>Threading: {@link #run} blocks the calling (main) thread for the life of the engine.
 */
final class Foreground {
    private static final Logger LOG = LoggerFactory.getLogger("dev.niolb.run");

    private final Config config;
    /** Where the config came from, for a reload to read again (SIGHUP: wired with {@code LoadBalancer.reload}). */
    private final ConfigSource source;
    /** Where to offer this niolb's sockets to a successor, and where to take them from at start; null: nowhere. */
    private Path controlSocket;
    private Path takeoverFrom;
    private Path stateFile;
    /** What the niolb taken over knew (servers' health, DNS answers); nothing without a takeover. */
    private dev.niolb.HandedOverState handed = dev.niolb.HandedOverState.NONE;

    /** What the stop began with (a signal's name), once it has: the systemd status line says so from then on. */
    private volatile String stoppingBy;

    /** A config that cannot be read again (flags, the demo): a reload would find it unchanged. */
    Foreground(final Config config) {
        this(config, ConfigSource.fixed(config, "the command line"));
    }

    /** @param config what {@code source} read to start with */
    Foreground(final Config config, final ConfigSource source) {
        this.config = config;
        this.source = source;
    }

    /**
     * {@code --control-socket} and {@code --takeover}: this niolb hands its listening sockets to a new niolb that
     * asks at {@code controlSocket}, and takes them, at start, from the niolb at {@code takeoverFrom}.
     */
    Foreground handover(final Path controlSocket, final Path takeoverFrom) {
        this.controlSocket = controlSocket;
        this.takeoverFrom = takeoverFrom;
        return this;
    }

    /**
     * {@code --state-file}: the servers' operator modes and weights are kept in {@code file} across restarts; null
     * for none.
     */
    Foreground operatorStates(final Path file) {
        this.stateFile = file;
        return this;
    }

    /** What a reload reads the new config from. */
    ConfigSource source() {
        return source;
    }

    /**
     * @param started called once the listeners are bound, e.g. to tell the user how to try them
     * @return the exit code, 0
     * @throws Failure when a listener cannot be bound or the engine cannot start
     */
    int run(final Consumer<LoadBalancer> started) throws InterruptedException {
        // before start, so that a signal during start-up already means a graceful stop
        final StopSignals signals = StopSignals.install();
        StraySignals.install(); // SIGUSR2 and SIGALRM would end the process with no word
        ReopenLogs.installOnUsr1();
        try {
            LogOutputs.apply(config.logs()); // before the start, so that its lines reach syslog too
        } catch (final LogOutputs.Refused e) {
            // a path the config names that cannot be the log: starting again cannot help (EX_CONFIG, which the
            // unit's RestartPreventExitStatus does not restart into)
            throw Failure.configuration(e.getMessage());
        }
        final String controlProblem = controlSocket == null || config.transport() == TransportChoice.NIO ? null
            : TakeoverServer.problem(controlSocket, controlSocket.equals(takeoverFrom));
        if (controlProblem != null) {
            throw new Failure("cannot open the control socket " + controlSocket + ": " + controlProblem);
        }
        final SystemdNotify systemd = SystemdNotify.fromEnvironment(System.getenv());
        final long pid = ProcessHandle.current().pid();
        final Takeover takeover = takeoverFrom == null ? null : takeOver(takeoverFrom, pid);
        if (takeover != null) {
            handed = takeover.state(); // health and DNS answers: the engine starts from them
            if (takeover.stateUnknown()) {
                LOG.info("takeover: the niolb at {} is of an earlier version and tells no servers' health or DNS "
                    + "answers (it logs that this one 'did not start (state)', then hands over): starting from the "
                    + "config", takeoverFrom);
            }
        }
        final int[] handedOver = takeover != null ? takeover.fds() : ListeningSockets.handedOver(System.getenv(), pid);
        final int activated = takeover != null ? 0 : ListeningSockets.fromSocketUnits(System.getenv(), handedOver.length);
        if (activated > 0 && config.transport() == TransportChoice.NIO) {
            // closing them would reset the clients that activated niolb, and systemd keeps its copies anyway
            throw Failure.configuration("socket activation needs the epoll transport: the nio transport cannot adopt "
                + "the " + (activated == 1 ? "listening socket" : activated + " listening sockets")
                + " a socket unit handed over; " + (source instanceof ConfigFile ? "set transport: auto (or epoll) in "
                + source.describe() : "drop --transport nio"));
        }
        final InheritedSockets inherited = inherit(handedOver, config.transport());
        final ListeningSockets stored = new ListeningSockets(systemd);
        if (inherited != null) {
            closeUnwanted(inherited, stored, takeover != null);
        } else if (handedOver.length > 0 && config.transport() == TransportChoice.NIO) {
            giveUpHandedOver(stored);
        }
        final int offered = inherited == null ? 0 : inherited.offered(); // kept for this config, before it takes them
        final LoadBalancer lb;
        try {
            lb = start(signals);
        } catch (final StoppedWhileStarting e) {
            if (takeover != null) {
                takeover.failed("asked to stop while starting"); // the old niolb keeps serving, and says why
                LOG.warn("takeover: asked to stop while starting; the old niolb keeps serving");
            } else {
                LOG.info("stopped while starting ({}), before any listener was bound", signals.await());
            }
            return 0;
        } catch (final RuntimeException e) {
            if (takeover != null) {
                takeover.failed(e.getMessage()); // the old niolb keeps serving, and says why
            }
            throw e;
        }
        LOG.info(startLine(config, lb.localAddresses(), lb.transport(),
            (group, server) -> lb.group(group).snapshot().server(server)));
        if (inherited != null) {
            reportInherited(inherited, offered, activated > 0);
        }
        final TakeoverServer control = controlSocket(lb, signals, takeover);
        if (lb.adminAddress() != null) {
            LOG.info("admin API and stats page on http://{}/{}", Endpoint.hostPort(lb.adminAddress()),
                config.admin().tokenFile() == null ? "" : " (state changes need the bearer token)");
        }
        if (lb.metricsAddress() != null) {
            LOG.info("metrics and readiness on http://{}/metrics and /ready (read-only)",
                Endpoint.hostPort(lb.metricsAddress()));
        }
        AdminExposure.warnIfOpen(config.admin(), lb.adminAddress(), LOG);
        stored.store(lb); // FDSTORE: kept open by systemd while niolb restarts
        // SIGHUP: read the source again, reload, with RELOADING=1 ... READY=1 around it
        final ReloadSignal reloads = ReloadSignal.install(lb, source, systemd, () -> status(lb), () -> stored.store(lb));
        lb.configSource(source); // POST /reload on the admin API reads the same
        final SystemdWatchdog watchdog = SystemdWatchdog.start(systemd, System.getenv(), pid,
            () -> lb.stopping() ? List.of() : lb.loops(),
            () -> stoppingBy != null ? stoppingStatus(stoppingBy, lb) : status(lb), // a tick keeps the stop's line
            () -> {
                if (!lb.stopping()) {
                    stored.store(lb); // after a reload through the admin API
                }
            });
        systemd.ready(status(lb)); // Type=notify: systemctl start returns now, with every listener bound
        MemoryLimit.warnIfTooSmall(); // after: its management classes take tens of milliseconds to load
        started.accept(lb);
        signals.beforeForcedExit(lb::flushPacedLines);
        final String signal = signals.await();
        if (control != null && signal.equals(TAKEN_OVER)) {
            control.closeForSuccessor();
        } else if (control != null) {
            control.close();
        }
        if (!signal.equals(TAKEN_OVER)) {
            lb.withdraw(); // GET /ready says 503 from now on, also while a reload under way finishes
        }
        reloads.close(signal); // a SIGHUP from now on is logged and ignored: no READY=1 after STOPPING=1
        stoppingBy = signal;
        systemd.stopping(stoppingStatus(signal, lb));
        final Duration delay = lb.config().shutdownDelay(); // a reload may have changed it
        if (delay.isPositive() && !signal.equals(TAKEN_OVER)) { // a successor serves already: nothing to withdraw
            lb.withdraw();
            signals.begun();
            LOG.info("shutting down in {} ({}): GET /ready says 503, the listeners still accept",
                Durations.format(delay), signal);
            Thread.sleep(delay.toMillis()); // the delay is the feature; a second signal still exits at once
        }
        final Duration grace = lb.config().grace(); // a reload may have changed it
        final long sessions = lb.activeSessions();
        signals.begun();
        LOG.info("stopping: {} {}, grace {} ({})", sessions, sessions == 1 ? "session" : "sessions",
            Durations.format(grace), signal);
        if (signal.equals(TAKEN_OVER)) {
            dev.niolb.cli.log.LogOutputs.leaveAccessLogToSuccessor(); // it rotates the file now; ours would be lost
        }
        // with the sockets in systemd's store a restart's successor reads them: UDP datagrams wait there for it
        final boolean allFinished = signal.equals(TAKEN_OVER) ? lb.handOverAndStop(grace)
            : stored.holdsAny() ? lb.stopLeavingListenersToSuccessor(grace) : lb.stop(grace);
        watchdog.close();
        systemd.close();
        LOG.info(allFinished ? "stopped" : "stopped; sessions still open when the grace period ended were closed");
        return 0;
    }

    private static String stoppingStatus(final String signal, final LoadBalancer lb) {
        return "stopping (" + signal + "): " + lb.activeSessions() + " sessions open";
    }

    /** The reason a takeover stop gives where a signal's name would be. */
    private static final String TAKEN_OVER = "taken over";

    /** Asks the niolb at {@code from} for its listening sockets; a {@link Failure} when it cannot. */
    private Takeover takeOver(final Path from, final long pid) {
        if (config.transport() == TransportChoice.NIO || !EpollTransport.isAvailable()) {
            throw Failure.configuration("--takeover needs the epoll transport (the JDK cannot adopt a socket): "
                + (!EpollTransport.isAvailable() ? EpollTransport.unavailableReason()
                    : "set transport: auto (or epoll) in " + source.describe()));
        }
        try {
            final Takeover takeover = Takeover.ask(from, pid);
            LOG.info("takeover: received {} listening sockets from the niolb at {}", takeover.fds().length, from);
            return takeover;
        } catch (final IOException e) {
            throw new Failure("cannot take over from " + from + ": " + e.getMessage());
        }
    }

    /**
     * Opens this niolb's control socket (at the same path as the old one's, usually, for the next takeover), then
     * tells the old niolb of a takeover that this one listens, then serves the control socket; null without
     * {@code --control-socket}. Whatever fails before the old niolb is told, or a stop asked for meanwhile, leaves
     * the old one serving: it is told only when nothing is left to fail.
     */
    private TakeoverServer controlSocket(final LoadBalancer lb, final StopSignals signals, final Takeover takeover) {
        TakeoverServer server = null;
        if (controlSocket != null && !lb.transport().equals("epoll")) {
            // the JDK's listening sockets cannot be handed over, and a successor binding its own beside them would
            // find the address in use: a control socket here would promise a takeover that cannot happen
            LOG.warn("control socket {} not opened: a takeover needs the epoll transport (the JDK cannot hand its "
                + "listening sockets over); with --transport {} a restart refuses clients while no niolb listens",
                controlSocket, lb.transport());
        } else if (controlSocket != null) {
            try {
                server = TakeoverServer.prepare(controlSocket, lb, controlSocket.equals(takeoverFrom),
                    () -> signals.request(TAKEN_OVER));
            } catch (final IOException | RuntimeException e) {
                if (takeover != null) {
                    takeover.close(); // the old niolb hears it go away and keeps serving
                }
                lb.stop(Duration.ZERO);
                throw new Failure("cannot open the control socket " + controlSocket + ": " + e.getMessage());
            }
        }
        if (takeover != null) {
            try (takeover) {
                if (signals.stopRequested()) {
                    LOG.warn("takeover: asked to stop while starting; the old niolb keeps serving");
                    return server; // not activated: the stop that follows closes it
                }
                takeover.started();
            } catch (final IOException e) {
                if (takeover.oldOneRuns()) {
                    // it gave up waiting (a start stopped past its limit) and serves on: two niolbs on one address,
                    // and an admin port answered by either, until one was ended by hand (black-box testing,
                    // session 35). This one goes; the old one, whose sockets these are, never stopped serving
                    if (server != null) {
                        server.close();
                    }
                    lb.stop(Duration.ZERO);
                    throw new Failure("takeover: the old niolb gave up waiting for this one to start and serves on ("
                        + e.getMessage() + "); this one stops");
                }
                LOG.warn("takeover: could not tell the old niolb that this one started ({}); it is gone, and this one "
                    + "serves", e.getMessage());
            }
        }
        if (server == null) {
            return null;
        }
        try {
            server.activate();
        } catch (final IOException e) {
            LOG.warn("control socket {} not in place ({}): the next takeover cannot find this niolb", controlSocket,
                e.getMessage());
            return server;
        }
        LOG.info("control socket {}: a niolb started with --takeover {} takes these listening sockets over",
            controlSocket, controlSocket);
        return server;
    }

    /**
     * Offers the descriptors systemd passed ({@code LISTEN_FDS}) to the epoll transport, whose listeners take the
     * ones bound to their addresses; null when there are none.
     */
    private static InheritedSockets inherit(final int[] fds, final TransportChoice transport) {
        if (fds.length == 0) {
            return null;
        }
        if (!EpollTransport.isAvailable()) {
            LOG.warn("{} listening sockets handed over by systemd cannot be adopted: {}", fds.length,
                EpollTransport.unavailableReason());
            return null;
        }
        final InheritedSockets inherited = EpollTransport.instance().inherited();
        inherited.adopt(fds);
        for (final String refused : inherited.refused()) {
            LOG.warn("handed over but not a listening socket: {}", refused);
        }
        if (transport == TransportChoice.NIO) {
            // before the start: NIO binds its own sockets, which the handed-over ones would find in use
            final List<String> closed = inherited.closeUnclaimed();
            LOG.warn("closed {} listening sockets handed over by systemd ({}): the nio transport cannot adopt "
                + "sockets, so a restart refuses clients; with --transport epoll (or auto) it refuses nobody",
                closed.size(), String.join(", ", closed));
            return null;
        }
        return inherited;
    }

    /**
     * Before any listener binds: closes the handed-over sockets on addresses this config does not listen on, and
     * has systemd close its stored copies, which would otherwise keep their ports (a listener moved from
     * 127.0.0.1:P to 0.0.0.0:P could not bind, and systemd would restart niolb into the same failure). Sockets a
     * niolb taken over handed over stay open in it until it stops, as its own listeners do: nothing to wait for
     * there, and no socket unit to blame (black-box testing, session 26: 2 s and a false warning per socket).
     */
    private void closeUnwanted(final InheritedSockets inherited, final ListeningSockets stored,
                               final boolean fromTakeover) {
        final List<Endpoint> wanted = config.listeners().stream()
            .map(l -> new Endpoint(l.protocol(), l.bind())).toList();
        final List<Endpoint> closed = inherited.closeUnwanted(wanted);
        if (closed.isEmpty()) {
            return;
        }
        stored.forget(); // the ones kept are this process's now; stored again once it runs
        if (fromTakeover) {
            LOG.info("closed {} listening sockets handed over that this config does not use: {} (the niolb taken "
                + "over closes its own as it stops)", closed.size(), joined(closed));
        } else {
            LOG.info("closed {} listening sockets handed over that this config does not use: {}", closed.size(),
                joined(closed));
            // systemd closes its copies when it gets to the message, not before sendmsg returns
            for (final Endpoint e : wanted) {
                if (!inherited.offers(e) && !awaitFree(e, FREED_WITHIN_MS)) {
                    heldBySocketUnit(e, closed);
                }
            }
            // a socket unit's socket stays open in systemd: its port accepts clients that nobody will serve
            for (final Endpoint c : closed) {
                if (!awaitFree(c, FREED_WITHIN_MS)) {
                    LOG.warn("systemd still holds {}, handed over for no listener of this config (a socket unit's "
                        + "socket stays open): its clients connect and are never served; give niolb.socket only the "
                        + "listeners' addresses", c);
                }
            }
        }
    }

    /**
     * {@code endpoint} is still in use after niolb closed the sockets handed over for addresses it does not listen
     * on: when one of them had its port, systemd holds its own copy, as it does for a socket unit's whatever niolb
     * asks, and a wildcard listener cannot bind beside it. Said as such, not as a plain "address already in use"
     * that systemd would restart niolb into for ever.
     */
    private static void heldBySocketUnit(final Endpoint endpoint, final List<Endpoint> closed) {
        final List<Endpoint> samePort = closed.stream().filter(c -> c.protocol() == endpoint.protocol()
            && c.address().getPort() == endpoint.address().getPort()).toList();
        if (!samePort.isEmpty()) {
            throw Failure.configuration("cannot listen on " + endpoint + ": systemd still holds " + joined(samePort)
                + ", handed over for no listener of this config (a socket unit's socket stays open): give "
                + "niolb.socket the listeners' addresses (systemctl edit niolb.socket), or stop it");
        }
    }

    private static String joined(final List<Endpoint> endpoints) {
        return String.join(", ", endpoints.stream().map(Endpoint::toString).toList());
    }

    /**
     * NIO binds sockets of its own, and has closed the ones handed over (it cannot adopt them); systemd's stored
     * copies would still hold the ports, so every start failed with "address already in use" and systemd restarted
     * niolb into the same failure (session 21: a config switched to nio under the fd store). systemd closes its
     * copies first. A socket unit's (socket activation) stay open whatever niolb asks: that is said plainly.
     */
    private void giveUpHandedOver(final ListeningSockets stored) {
        stored.forget();
        for (final ListenerConfig l : config.listeners()) {
            final Endpoint endpoint = new Endpoint(l.protocol(), l.bind());
            if (!awaitFree(endpoint, FREED_WITHIN_MS)) {
                throw Failure.configuration("cannot listen on " + endpoint + ": systemd holds the socket it handed "
                    + "over (a socket unit's, as niolb.socket's, stays open), and the nio transport cannot take "
                    + "sockets over: use transport auto or epoll, or stop the socket unit");
            }
        }
    }

    /** How long systemd may take to close its stored copies of sockets this niolb closed (it takes microseconds). */
    private static final long FREED_WITHIN_MS = 2000;

    /**
     * Until {@code endpoint} could be bound (a probe, closed at once), at most {@code withinMs}; then the start binds
     * it and reports whatever still holds it. Only after closing handed-over sockets, so a normal start never waits.
     *
     * @return whether it could be bound in time
     */
    private static boolean awaitFree(final Endpoint endpoint, final long withinMs) {
        final long deadline = System.nanoTime() + withinMs * 1_000_000L;
        while (true) {
            try {
                if (endpoint.protocol() == Protocol.UDP) {
                    try (DatagramSocket probe = new DatagramSocket(endpoint.address())) {
                        return true;
                    }
                }
                try (ServerSocket probe = new ServerSocket()) {
                    probe.bind(endpoint.address());
                    return true;
                }
            } catch (final IOException inUse) {
                if (System.nanoTime() - deadline > 0) {
                    return false;
                }
                try {
                    Thread.sleep(10);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
    }

    /**
     * @param offered   the sockets still offered when the listeners started: those they took are the adopted
     * @param activated a socket unit handed them over (socket activation), not niolb's store or a takeover
     */
    private static void reportInherited(final InheritedSockets inherited, final int offered, final boolean activated) {
        final List<String> unclaimed = inherited.closeUnclaimed();
        final int adopted = offered - unclaimed.size();
        if (adopted > 0) {
            LOG.info("adopted {} listening {} {}: clients that waited in their backlog are served now", adopted,
                adopted == 1 ? "socket" : "sockets", activated ? "a socket unit handed over" : "from before the restart");
        }
        if (!unclaimed.isEmpty()) {
            LOG.info("closed {} listening sockets handed over that this config does not use: {}",
                unclaimed.size(), String.join(", ", unclaimed));
        }
        final List<String> shared = EpollTransport.instance().takeSharedHandedOver().stream()
            .map(Endpoint::hostPort).toList();
        if (!shared.isEmpty()) {
            LOG.info("the listening sockets handed over for {} belong to another user (a socket unit's are root's):"
                + " the kernel lets no socket of niolb's join them, so every loop watches them",
                String.join(", ", shared));
        }
    }

    /**
     * {@code 12 sessions; group web 2/3 servers take sessions; 2 listeners; reloads 3 applied, 1 refused}: the
     * {@code STATUS=} line {@code systemctl status niolb} shows.
     */
    static String status(final LoadBalancer lb) {
        final StringBuilder line = new StringBuilder().append(lb.activeSessions()).append(" sessions");
        for (final TargetGroup g : lb.running().groups().values()) {
            final Server[] servers = g.snapshot().servers();
            int taking = 0;
            for (final Server s : servers) {
                if (s.effectiveWeight() > 0) {
                    taking++;
                }
            }
            line.append("; group ").append(g.name()).append(' ').append(taking).append('/').append(servers.length)
                .append(" servers take sessions");
        }
        final int listeners = lb.running().listeners().size();
        return line.append("; ").append(listeners).append(listeners == 1 ? " listener" : " listeners")
            .append("; reloads ").append(lb.reloads().appliedCount()).append(" applied, ")
            .append(lb.reloads().refusedCount()).append(" refused").toString();
    }

    /**
     * The process put together: the engine, then its admin API, which is attached to the engine so that it stops
     * with it. When the admin API cannot start, the engine is stopped again.
     */
    /** {@link LoadBalancer.StartAbandoned}: a stop came while niolb started, which ends it with exit code 0. */
    private static final class StoppedWhileStarting extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StoppedWhileStarting() {
            super(null, null, false, false);
        }
    }

    private LoadBalancer start(final StopSignals signals) {
        try {
            AdminServer.refuseListenersAddresses(config.admin(), config.listeners());
        } catch (final BindException e) {
            throw Failure.configuration(e.getMessage()); // the config's own clash: no restart mends it
        }
        final BearerToken token = adminToken(signals);
        final LoadBalancer lb = startEngine(signals);
        try {
            AdminServer.attach(lb, config.admin(), takeoverFrom != null, token);
        } catch (final BindException e) {
            lb.stop(Duration.ZERO);
            throw new Failure(e.getMessage()); // names the address already; the listeners are not at fault
        } catch (final IOException e) {
            lb.stop(Duration.ZERO);
            throw new Failure("cannot start: " + e.getMessage());
        } catch (final RuntimeException e) {
            lb.stop(Duration.ZERO);
            throw e;
        }
        return lb;
    }

    /**
     * The admin token, read before any listener binds: a pipe's writer may take seconds, and a listener bound
     * meanwhile took clients it could only turn away, and a stop then waited for the read and ended in exit 78
     * (black-box testing, session 27). A stop asked for meanwhile gives the read up.
     */
    private BearerToken adminToken(final StopSignals signals) {
        if (!config.admin().enabled() || config.admin().tokenFile() == null) {
            return null;
        }
        try {
            return BearerToken.atStart(config.admin().tokenFile(), signals::stopRequested);
        } catch (final java.io.InterruptedIOException e) {
            throw new StoppedWhileStarting();
        } catch (final TokenFile.Unusable e) {
            throw Failure.configuration("cannot start: " + e.getMessage()); // no restart brings the file
        } catch (final IOException e) {
            throw new Failure("cannot start: " + e.getMessage());
        }
    }

    private LoadBalancer startEngine(final StopSignals signals) {
        try {
            return LoadBalancer.start(config, stateFile == null ? OperatorStates.NONE : OperatorStates.in(stateFile),
                signals::stopRequested, handed);
        } catch (final LoadBalancer.StartAbandoned e) {
            throw new StoppedWhileStarting();
        } catch (final BindException e) {
            throw new Failure("cannot listen on " + where(e) + ": " + reason(e));
        } catch (final IOException e) {
            throw new Failure("cannot start: " + e.getMessage());
        }
    }

    /** The listener the exception names, or all of them when it names none (the JDK's messages do not). */
    private String where(final BindException e) {
        final String message = String.valueOf(e.getMessage());
        // UDP listeners first and with their scheme, so that a TCP and a UDP listener on one port are told apart
        final List<String> addresses = config.listeners().stream()
            .sorted(Comparator.comparing((ListenerConfig l) -> l.protocol() != Protocol.UDP))
            .map(l -> (l.protocol() == Protocol.UDP ? "udp://" : "") + Endpoint.hostPort(l.bind()))
            .toList();
        return addresses.stream().filter(message::contains).findFirst()
            .orElse(String.join(" or ", addresses));
    }

    /** The JDK's reason in lower case ({@code address already in use}), with a hint where there is an obvious one. */
    private static String reason(final BindException e) {
        final String message = String.valueOf(e.getMessage());
        final String lower = message.toLowerCase(Locale.ROOT);
        if (lower.contains("address already in use")) {
            return "address already in use";
        }
        if (lower.contains("cannot assign requested address")) {
            return "no such address on this host";
        }
        if (lower.contains("permission denied")) {
            return "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
        }
        return lower;
    }

    /**
     * {@code listening on tcp://127.0.0.1:8080; servers 10.0.0.1:80 weight 1, web2 (10.0.0.2:80) weight 3;
     * balance weighted; nio transport, 4 threads}: the addresses as bound, so an ephemeral port shows its real number. PROXY
     * protocol settings follow their listener ({@code accept-proxy from 10.0.0.0/8}) or server ({@code send-proxy}).
     * The transport is the one running ({@code auto} says what it chose).
     */
    static String startLine(final Config config, final List<InetSocketAddress> bound, final String transport) {
        return startLine(config, bound, transport, (group, server) -> null);
    }

    /**
     * Listeners, groups, and servers of a group the start line names; the rest it counts. 5,000 servers made a line
     * of 143 KB, past what journald keeps as one (black-box testing, session 33); GET /api/stats lists them all.
     */
    static final int MAX_NAMED = 20;

    /**
     * As {@link #startLine(Config, List, String)}, each server as {@code live} has it now (null: as configured):
     * the weight and operator mode a state file restored, not only the config's, which the line said even right
     * after "operator states from …: default/s1 drain weight 5".
     */
    static String startLine(final Config config, final List<InetSocketAddress> bound, final String transport,
                            final BiFunction<String, String, Server> live) {
        final StringBuilder line = new StringBuilder("listening on ");
        final int listeners = Math.min(config.listeners().size(), MAX_NAMED);
        for (int i = 0; i < listeners; i++) {
            final ListenerConfig l = config.listeners().get(i);
            line.append(i == 0 ? "" : ", ").append(l.protocol().scheme()).append("://")
                .append(Endpoint.hostPort(i < bound.size() ? bound.get(i) : l.bind()));
            if (l.acceptProxy().enabled()) {
                line.append(" accept-proxy");
                if (l.acceptProxy().trustsNoPeer()) {
                    // an empty accept-proxy-from (a template's) trusts nobody: say so where an operator looks
                    line.append(" from nobody (accept-proxy-from is empty: every peer is a direct client)");
                } else if (!l.acceptProxy().trustsEveryPeer()) {
                    line.append(" from ").append(l.acceptProxy().trusted().blocks().stream().map(Object::toString)
                        .collect(Collectors.joining(" ")));
                }
            }
        }
        if (config.listeners().size() > listeners) {
            line.append(" and ").append(config.listeners().size() - listeners).append(" more listeners");
        }
        final int groups = Math.min(config.groups().size(), MAX_NAMED);
        for (final TargetGroupConfig g : config.groups().subList(0, groups)) {
            final int servers = g.servers().size() + g.dnsServers().size();
            line.append("; ").append(config.groups().size() > 1 ? "group " + g.name() + " " : "").append("servers ")
                .append(java.util.stream.Stream.concat(g.servers().stream().map(
                        server -> describe(server, live.apply(g.name(), server.name()))),
                    g.dnsServers().stream().map(Foreground::describe)).limit(MAX_NAMED)
                    .collect(Collectors.joining(", ")))
                .append(servers > MAX_NAMED ? " and " + (servers - MAX_NAMED) + " more (" + servers + " in all)" : "")
                .append("; balance ").append(g.balance());
            if (!g.health().checks().isEmpty()) {
                line.append("; check ").append(g.health().checks().stream().map(Object::toString)
                    .collect(Collectors.joining(" and "))).append(" every ").append(Durations.format(g.health().interval()));
            }
        }
        if (config.groups().size() > groups) {
            line.append("; and ").append(config.groups().size() - groups).append(" more groups");
        }
        line.append("; ").append(transport).append(" transport, ").append(config.threads())
            .append(config.threads() == 1 ? " thread" : " threads");
        if (config.busyPoll().enabled()) {
            line.append(", busy-poll ").append(config.busyPoll()); // it changes what the loops cost: say so
        }
        return line.toString();
    }

    /** {@code api.internal:8080 (dns) weight 1}: what it resolves to is logged as it resolves. */
    private static String describe(final dev.niolb.config.DnsServerSpec d) {
        return d + " (dns) weight " + d.template().weight() + (d.template().backup() ? " backup" : "");
    }

    private static String describe(final ServerConfig s, final Server now) {
        final String address = Endpoint.hostPort(s.address());
        final int weight = now == null ? s.weight() : now.weight();
        final ServerState mode = now == null ? ServerState.UP : now.operatorMode();
        return (s.name().equals(address) ? address : s.name() + " (" + address + ")") + " weight " + weight
            + (weight != s.weight() ? " (config " + s.weight() + ")" : "")
            + (mode != ServerState.UP ? " " + mode.name().toLowerCase(Locale.ROOT) : "")
            + (s.backup() ? " backup" : "") + (s.sendProxy().enabled() ? " " + s.sendProxy() : "");
    }
}
