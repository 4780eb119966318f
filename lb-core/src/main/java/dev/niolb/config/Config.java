package dev.niolb.config;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The whole, validated model of what niolb runs: the one thing both flags and (later) the config file produce.
 *
 * @param threads event loops; each owns a selector, a listening socket per listener, and its sessions;
 *                {@link #AUTO_THREADS} for one per core of the machine it runs on (what {@link #threads()} returns)
 * @param grace     how long a graceful stop lets sessions finish before closing them
 * @param dns       how servers given by DNS name are resolved
 * @param maxconn   TCP connections open at once over every listener; at it every listener stops accepting (new
 *                  clients wait in the kernel's backlogs) until one ends; 0 for what the open-file limit
 *                  leaves room for ({@link dev.niolb.admission.OpenFileLimit})
 * @param admin     the admin HTTP API ({@link AdminConfig#NONE} for none)
 * @param accessLog the access log's format ({@link AccessLogFormat#OFF} for none)
 * @param logs      where the logs go besides standard output (an access log file, syslog)
 * @param transport how the event loops do their socket I/O; fixed for the process's life (a reload cannot change it)
 * @param shutdownDelay on SIGTERM, how long {@code GET /ready} answers 503 while the listeners still accept, before
 *                      the graceful stop: upstream health checks withdraw the instance before it refuses anyone
 * @param busyPoll  how long each event loop polls on without sleeping after it last found a socket ready
 */
public record Config(int threads, Duration grace, List<ListenerConfig> listeners, List<TargetGroupConfig> groups,
                     DnsConfig dns, int maxconn, AdminConfig admin, AccessLogFormat accessLog, LogConfig logs,
                     TransportChoice transport, Duration shutdownDelay, BusyPoll busyPoll) {
    public static final int MAX_THREADS = 256;
    /**
     * {@code threads: auto}: one loop per core, counted where the config runs. Kept as such, not as this machine's
     * count, so that {@code niolb check} on a build host prints {@code auto} for a file a larger host runs.
     */
    public static final int AUTO_THREADS = 0;
    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(30);
    public static final TransportChoice DEFAULT_TRANSPORT = TransportChoice.AUTO;

    /** With the default {@link DnsConfig} and no global connection cap. */
    public Config(final int threads, final Duration grace, final List<ListenerConfig> listeners,
                  final List<TargetGroupConfig> groups) {
        this(threads, grace, listeners, groups, DnsConfig.DEFAULTS);
    }

    /** With no global connection cap. */
    public Config(final int threads, final Duration grace, final List<ListenerConfig> listeners,
                  final List<TargetGroupConfig> groups, final DnsConfig dns) {
        this(threads, grace, listeners, groups, dns, 0);
    }

    public Config {
        Objects.requireNonNull(grace, "grace");
        Objects.requireNonNull(dns, "dns");
        Objects.requireNonNull(admin, "admin");
        Objects.requireNonNull(accessLog, "accessLog");
        Objects.requireNonNull(logs, "logs");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(shutdownDelay, "shutdownDelay");
        Objects.requireNonNull(busyPoll, "busyPoll");
        if (shutdownDelay.isNegative()) {
            throw new IllegalArgumentException("shutdown-delay must not be negative");
        }
        listeners = List.copyOf(listeners);
        groups = List.copyOf(groups);
        if (threads != AUTO_THREADS && (threads < 1 || threads > MAX_THREADS)) {
            throw new IllegalArgumentException("threads must be 1.." + MAX_THREADS + ", got " + threads);
        }
        if (maxconn < 0 || maxconn > ListenerLimits.MAX_CONN) {
            throw new IllegalArgumentException("maxconn must be 0.." + ListenerLimits.MAX_CONN + ", got " + maxconn);
        }
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace must not be negative");
        }
        if (logs.accessLogFile() != null && accessLog == AccessLogFormat.OFF) {
            throw new IllegalArgumentException("access-log-file needs access-log plain or json");
        }
        if (listeners.isEmpty()) {
            throw new IllegalArgumentException("needs at least one listener");
        }
        final Set<String> groupNames = new HashSet<>();
        for (final TargetGroupConfig g : groups) {
            if (!groupNames.add(g.name())) {
                throw new IllegalArgumentException("group " + Quoted.of(g.name()) + " is defined twice");
            }
        }
        final Set<String> listenerNames = new HashSet<>();
        for (final ListenerConfig l : listeners) {
            if (!listenerNames.add(l.name())) {
                throw new IllegalArgumentException("listener " + Quoted.of(l.name()) + " is defined twice");
            }
            if (!groupNames.contains(l.group())) {
                throw new IllegalArgumentException("listener " + Quoted.of(l.name()) + ": no group named " + Quoted.of(l.group()));
            }
        }
        for (final TargetGroupConfig g : groups) {
            ProxyRules.checkUdpServers(g, listeners);
        }
        checkBindsApart(listeners);
        checkNoServerIsAListener(ownEndpoints(listeners, admin), groups);
    }

    /**
     * A server at one of niolb's own listeners' addresses (for the protocol of a listener that uses its group) is
     * niolb relaying to itself: one client's connect or datagram opened sessions or flows until maxconn or the
     * flow cap (black-box testing, session 29: one datagram filled 200 flows). Refused, as nobody means it. A
     * wildcard listener is taken to cover loopback; port 0 (any free port) never matches.
     */
    private static void checkNoServerIsAListener(final List<ListenerConfig> listeners,
                                                 final List<TargetGroupConfig> groups) {
        final ServerAtOwn found = serverAtOwn(groups, listeners, InetAddress::isLoopbackAddress);
        if (found != null) {
            throw new IllegalArgumentException(found.message());
        }
    }

    /** A server of {@code group} at niolb's own endpoint {@code own}: why it is refused, in {@link #message}. */
    public record ServerAtOwn(TargetGroupConfig group, ServerConfig server, ListenerConfig own) {
        public String message() {
            return relaysToItself(group.name(), server.name(), own);
        }
    }

    /**
     * The first server of {@code groups} at one of {@code endpoints} ({@link #listenerAt}), or null: the one search
     * the model, the file's reader (to name the server's line) and a start or a reload (which know the host's
     * addresses) make.
     */
    public static ServerAtOwn serverAtOwn(final java.util.Collection<TargetGroupConfig> groups,
                                          final List<ListenerConfig> endpoints,
                                          final java.util.function.Predicate<InetAddress> local) {
        for (final TargetGroupConfig g : groups) {
            for (final ServerConfig server : g.servers()) {
                final ListenerConfig own = listenerAt(endpoints, g.name(), server.address(), local);
                if (own != null) {
                    return new ServerAtOwn(g, server, own);
                }
            }
        }
        return null;
    }

    /**
     * The listener a server at {@code server} in group {@code group} would be: one of {@code listeners} of the
     * protocol of a listener that uses the group, at the server's port, bound to its address, or to the wildcard
     * address when {@code local} says the server's address is this host's. Null when none: port 0 (any free port)
     * never matches. The config's check, a DNS answer's addresses and the admin API's additions ask it alike
     * (black-box testing, session 30: a name resolving to niolb's own listener looped one client's connection
     * until maxconn).
     */
    public static ListenerConfig listenerAt(final List<ListenerConfig> listeners, final String group,
                                            final InetSocketAddress server,
                                            final java.util.function.Predicate<InetAddress> local) {
        final InetAddress at = server.getAddress();
        if (at == null) {
            return null;
        }
        // the protocols the group is used for, then one pass: a check per server of listeners x listeners took
        // minutes for a file of thousands of each (black-box testing, session 31)
        boolean tcp = false;
        boolean udp = false;
        for (final ListenerConfig user : listeners) {
            if (user.group().equals(group)) {
                tcp |= user.protocol() == Protocol.TCP;
                udp |= user.protocol() == Protocol.UDP;
            }
        }
        if (!tcp && !udp) {
            return null;
        }
        for (final ListenerConfig own : listeners) {
            final InetSocketAddress bind = own.bind();
            // 0.0.0.0 covers the host's IPv4 addresses only, [::] both (dual-stack): [::1]:P is no IPv4 listener's
            if ((own.protocol() == Protocol.TCP ? tcp : udp) && bind.getPort() != 0 && bind.getPort() == server.getPort()
                && (at.equals(bind.getAddress()) || bind.getAddress().isAnyLocalAddress() && local.test(at)
                    && (bind.getAddress() instanceof Inet6Address || !(at instanceof Inet6Address)))) {
                return own;
            }
        }
        return null;
    }

    /** The group of the stand-ins {@link #ownEndpoints} adds: no group has an empty name. */
    private static final String ADMIN_ENDPOINT = "";
    private static final String ADMIN_API = "admin-api";
    private static final String METRICS_LISTENER = "metrics-listener";

    /**
     * {@code listeners} and, as TCP listeners of no group, the admin API's address and the metrics listener's: for
     * {@link #listenerAt}, so that a server there is refused as one at a listener is. Worse than a loop: the group's
     * clients would reach the admin API from loopback, past its Host check, and without a token could drain or
     * remove every server (black-box testing, session 31).
     */
    public static List<ListenerConfig> ownEndpoints(final List<ListenerConfig> listeners, final AdminConfig admin) {
        return admin == null ? listeners : ownEndpoints(listeners, admin.address(), admin.metricsAddress());
    }

    /** As {@link #ownEndpoints(List, AdminConfig)}, with the addresses the two listen on (null: none). */
    public static List<ListenerConfig> ownEndpoints(final List<ListenerConfig> listeners, final InetSocketAddress admin,
                                                    final InetSocketAddress metrics) {
        if (admin == null && metrics == null) {
            return listeners;
        }
        final List<ListenerConfig> all = new ArrayList<>(listeners);
        if (admin != null) {
            all.add(new ListenerConfig(ADMIN_API, Protocol.TCP, admin, ADMIN_ENDPOINT, TcpOptions.DEFAULTS));
        }
        if (metrics != null) {
            all.add(new ListenerConfig(METRICS_LISTENER, Protocol.TCP, metrics, ADMIN_ENDPOINT, TcpOptions.DEFAULTS));
        }
        return all;
    }

    /** Why a server at {@code own}'s address is refused, in one line. */
    public static String relaysToItself(final String group, final String server, final ListenerConfig own) {
        if (own.group().equals(ADMIN_ENDPOINT)) {
            return "group " + Quoted.of(group) + ": server " + Quoted.of(server) + " is at niolb's own "
                + (own.name().equals(ADMIN_API) ? "admin API" : "metrics listener") + " ("
                + Endpoint.hostPort(own.bind()) + "): the group's clients would reach it";
        }
        final String at = own.protocol().scheme() + "://" + Endpoint.hostPort(own.bind());
        return "group " + Quoted.of(group) + ": server " + Quoted.of(server) + " is at niolb's own listener "
            + (own.name().equals(at) ? at : Quoted.of(own.name()) + " (" + at + ")") + ": niolb would relay to itself";
    }

    /**
     * Two listeners of one protocol on the same port and address, or one on the wildcard address that covers the
     * other's, cannot both bind: refused here so that {@code niolb check} says so, not {@code niolb run} later.
     * Port 0 (any free port) never clashes.
     */
    public static void checkBindsApart(final List<ListenerConfig> listeners) {
        for (int i = 0; i < listeners.size(); i++) {
            for (int j = i + 1; j < listeners.size(); j++) {
                final ListenerConfig a = listeners.get(i);
                final ListenerConfig b = listeners.get(j);
                if (a.protocol() == b.protocol() && clash(a.bind(), b.bind())) {
                    throw new IllegalArgumentException("listeners " + Quoted.of(a.name()) + " and " + Quoted.of(b.name())
                        + " both bind " + a.protocol().scheme() + "://" + Endpoint.hostPort(a.bind())
                        + (a.bind().equals(b.bind()) ? "" : " (" + Endpoint.hostPort(b.bind()) + ")"));
                }
            }
        }
    }

    /**
     * Whether two sockets of one protocol cannot both bind these: the same port (not 0) and the same address, or
     * a wildcard address that covers the other. Also what makes the admin API's address clash with a listener's.
     */
    public static boolean clash(final InetSocketAddress a, final InetSocketAddress b) {
        return a.getPort() != 0 && a.getPort() == b.getPort() && overlap(a.getAddress(), b.getAddress());
    }

    private static boolean overlap(final InetAddress a, final InetAddress b) {
        if (a == null || b == null || a.equals(b)) {
            return a == b || a != null && a.equals(b);
        }
        // the IPv6 wildcard is dual-stack (the JDK's default): it covers IPv4 addresses too
        return a.isAnyLocalAddress() && (a instanceof Inet6Address || a.getClass() == b.getClass())
            || b.isAnyLocalAddress() && (b instanceof Inet6Address || a.getClass() == b.getClass());
    }

    /** No admin API, no access log. */
    public Config(final int threads, final Duration grace, final List<ListenerConfig> listeners,
                  final List<TargetGroupConfig> groups, final DnsConfig dns, final int maxconn) {
        this(threads, grace, listeners, groups, dns, maxconn, AdminConfig.NONE, AccessLogFormat.OFF);
    }

    /** Logs on standard output only ({@link LogConfig#DEFAULTS}). */
    public Config(final int threads, final Duration grace, final List<ListenerConfig> listeners,
                  final List<TargetGroupConfig> groups, final DnsConfig dns, final int maxconn, final AdminConfig admin,
                  final AccessLogFormat accessLog) {
        this(threads, grace, listeners, groups, dns, maxconn, admin, accessLog, LogConfig.DEFAULTS);
    }

    /** With no shutdown delay. */
    public Config(final int threads, final Duration grace, final List<ListenerConfig> listeners,
                  final List<TargetGroupConfig> groups, final DnsConfig dns, final int maxconn, final AdminConfig admin,
                  final AccessLogFormat accessLog, final LogConfig logs, final TransportChoice transport) {
        this(threads, grace, listeners, groups, dns, maxconn, admin, accessLog, logs, transport, Duration.ZERO);
    }

    /** Loops that sleep as soon as nothing is ready ({@link BusyPoll#OFF}). */
    public Config(final int threads, final Duration grace, final List<ListenerConfig> listeners,
                  final List<TargetGroupConfig> groups, final DnsConfig dns, final int maxconn, final AdminConfig admin,
                  final AccessLogFormat accessLog, final LogConfig logs, final TransportChoice transport,
                  final Duration shutdownDelay) {
        this(threads, grace, listeners, groups, dns, maxconn, admin, accessLog, logs, transport, shutdownDelay,
            BusyPoll.OFF);
    }

    /** On the default transport ({@link #DEFAULT_TRANSPORT}). */
    public Config(final int threads, final Duration grace, final List<ListenerConfig> listeners,
                  final List<TargetGroupConfig> groups, final DnsConfig dns, final int maxconn, final AdminConfig admin,
                  final AccessLogFormat accessLog, final LogConfig logs) {
        this(threads, grace, listeners, groups, dns, maxconn, admin, accessLog, logs, DEFAULT_TRANSPORT);
    }

    /**
     * This config with what only a restart changes (threads, maxconn, admin API, access log, log outputs,
     * transport) as {@code running} has it: what a process running {@code running} runs after reloading this. A
     * reload compares the next file with that, so a setting it could not apply is reported again by every reload
     * until the file gives it back its running value.
     */
    public Config withRestartOnlyOf(final Config running) {
        return new Config(running.threads, grace, listeners, groups, dns, running.maxconn, running.admin,
            running.accessLog, running.logs, running.transport, shutdownDelay, busyPoll);
    }

    public Config withMaxconn(final int n) {
        return new Config(threads, grace, listeners, groups, dns, n, admin, accessLog, logs, transport, shutdownDelay, busyPoll);
    }

    public Config withAdmin(final AdminConfig value) {
        return new Config(threads, grace, listeners, groups, dns, maxconn, value, accessLog, logs, transport, shutdownDelay, busyPoll);
    }

    public Config withAccessLog(final AccessLogFormat value) {
        return new Config(threads, grace, listeners, groups, dns, maxconn, admin, value, logs, transport, shutdownDelay, busyPoll);
    }

    public Config withLogs(final LogConfig value) {
        return new Config(threads, grace, listeners, groups, dns, maxconn, admin, accessLog, value, transport, shutdownDelay, busyPoll);
    }

    public Config withListeners(final List<ListenerConfig> value) {
        return new Config(threads, grace, value, groups, dns, maxconn, admin, accessLog, logs, transport, shutdownDelay, busyPoll);
    }

    public Config withTransport(final TransportChoice value) {
        return new Config(threads, grace, listeners, groups, dns, maxconn, admin, accessLog, logs, value, shutdownDelay, busyPoll);
    }

    public Config withShutdownDelay(final Duration value) {
        return new Config(threads, grace, listeners, groups, dns, maxconn, admin, accessLog, logs, transport, value, busyPoll);
    }

    public Config withBusyPoll(final BusyPoll value) {
        return new Config(threads, grace, listeners, groups, dns, maxconn, admin, accessLog, logs, transport, shutdownDelay, value);
    }

    /** The event loops to run: the number given, or one per core for {@code auto}. */
    @Override
    public int threads() {
        return threads == AUTO_THREADS ? defaultThreads() : threads;
    }

    /** Whether the number of loops was left to niolb ({@code auto}, or not given). */
    public boolean threadsAuto() {
        return threads == AUTO_THREADS;
    }

    /** The default number of event loops: one per core. */
    public static int defaultThreads() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** One listener in front of one group: what {@code niolb run --listen … --server …} builds. */
    public static Config single(final int threads, final Duration grace, final ListenerConfig listener,
                                final TargetGroupConfig group) {
        return new Config(threads, grace, List.of(listener), List.of(group));
    }
}
