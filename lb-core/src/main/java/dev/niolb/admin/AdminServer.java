package dev.niolb.admin;

import dev.niolb.LoadBalancer;
import dev.niolb.backend.OperatorStates;
import dev.niolb.config.AdminConfig;
import dev.niolb.config.Config;
import dev.niolb.config.Endpoint;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardSocketOptions;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The admin HTTP API and stats page: its own small HTTP/1.1 server, one virtual thread per connection, never on
 * a relay loop.
 *
 * <p>Why not the JDK's {@code com.sun.net.httpserver}: its only bounds on a slow client are system properties
 * read once per JVM ({@code sun.net.httpserver.maxReqTime}, in whole seconds), a new connection past
 * {@code jdk.httpserver.maxConnections} is closed even when every open one is a slow client, and without them
 * a client dripping header bytes holds its connection and descriptor forever. Here each connection has
 * deadlines ({@link AdminLimits}), at most {@link AdminLimits#maxConnections} are open, and a new one past that
 * takes the place of the oldest still sending its request: slow clients cannot hold the admin API, nor take the
 * file descriptors the data path needs.
 *
 * <p>Threading: one platform thread accepts; each connection is served on its own virtual thread; one timer
 * thread closes connections past their deadline. Handlers only read the engine (striped counters, snapshots,
 * latency recorders), ask loops for copies of their tables through their command queues, or change servers
 * through their group's serialised setters. Nothing here can hold a loop up.
 *
 * <p>The same server, with {@link AdminRoutes#readOnly read-only routes}, is the metrics-only listener
 * ({@link AdminConfig#metricsAddress()}): {@code GET /metrics} and {@code GET /ready}, nothing else, no token.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    private static final int BACKLOG = 64;
    private static final long ACCEPT_PAUSE_MS = 100;

    private final ServerSocket socket;
    private final AdminRoutes routes;
    private final AdminLimits limits;
    private final ScheduledThreadPoolExecutor timer;
    private final InetSocketAddress address;
    private final Object lock = new Object();
    private final LinkedHashSet<AdminConnection> open = new LinkedHashSet<>(); // oldest first; under lock
    private final Thread acceptor;
    private volatile boolean closed;

    private AdminServer(final ServerSocket socket, final AdminRoutes routes, final AdminLimits limits) {
        this.socket = socket;
        this.routes = routes;
        this.limits = limits;
        this.address = (InetSocketAddress) socket.getLocalSocketAddress();
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            final Thread t = new Thread(r, "niolb-admin-timer");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        this.acceptor = Thread.ofPlatform().name("niolb-admin-accept").daemon().unstarted(this::acceptLoop);
    }

    /**
     * Starts the admin API for {@code lb} as {@code config} says.
     *
     * @return the running server, or null when the config has none, or when its address is busy and not required
     * @throws BindException when a required address cannot be bound
     * @throws IOException   when the token file cannot be read
     */
    public static AdminServer start(final LoadBalancer lb, final AdminConfig config) throws IOException {
        return start(lb, config, AdminLimits.DEFAULTS);
    }

    /**
     * The composition root's step after {@link LoadBalancer#start}: starts the admin API for {@code lb} as
     * {@code config} says and attaches it to {@code lb}, which then answers its address and closes it last when it
     * stops. Nothing is attached when the config has none, or when its address is busy and not required.
     *
     * @throws BindException when a required address cannot be bound
     * @throws IOException   when the token file cannot be read
     */
    public static void attach(final LoadBalancer lb, final AdminConfig config) throws IOException {
        attach(lb, config, false);
    }

    /**
     * What {@link #attach} would refuse beside a niolb running {@code listeners}, found without binding anything,
     * for {@code niolb check}: a metrics or required admin address that a TCP listener holds, a token file that
     * does not read. In attach's order, with its messages, so that check says what run would.
     *
     * @throws BindException when the metrics or a required admin address is a TCP listener's
     * @throws IOException   when the token file cannot be read or holds no token
     */
    public static void preflight(final AdminConfig config, final List<ListenerConfig> listeners) throws IOException {
        refuseListenersAddresses(config, listeners);
        if (config.enabled() && config.tokenFile() != null) {
            BearerToken.read(config.tokenFile());
        }
    }

    /**
     * A metrics or required admin address one of {@code listeners} (TCP) binds: a config niolb cannot start with,
     * which {@code niolb run} refuses before it binds anything (exit 78, as for any config that cannot start; it
     * was 1, and the JDK's "address already in use" blamed some other process; black-box testing, session 27).
     * The default admin address taken means no admin API, with a warning: not refused.
     *
     * @throws BindException naming the address and the listener
     */
    public static void refuseListenersAddresses(final AdminConfig config, final List<ListenerConfig> listeners)
        throws BindException {
        if (config.metricsAddress() != null) {
            refuseTaken(config.metricsAddress(), "metrics address", listeners);
        }
        if (config.enabled() && config.required()) {
            refuseTaken(config.address(), "admin address", listeners);
        }
    }

    private static void refuseTaken(final InetSocketAddress address, final String what,
                                    final List<ListenerConfig> listeners) throws BindException {
        for (final ListenerConfig l : listeners) {
            if (l.protocol() == Protocol.TCP && Config.clash(address, l.bind())) {
                final String bind = Endpoint.hostPort(l.bind());
                throw new BindException("cannot listen on " + what + " " + Endpoint.hostPort(address) + ": listener "
                    + l.name() + " binds " + (l.name().equals("tcp://" + bind) ? "it" : bind));
            }
        }
    }

    /**
     * As {@link #attach(LoadBalancer, AdminConfig)}; {@code succeeding}: this process takes over from a niolb
     * that still listens at the same addresses (a takeover), so they are bound beside its sockets (which it
     * closes once this one has started) instead of refused as in use.
     */
    public static void attach(final LoadBalancer lb, final AdminConfig config, final boolean succeeding)
        throws IOException {
        attach(lb, config, succeeding, config.enabled() && config.tokenFile() != null
            ? BearerToken.read(config.tokenFile()) : null);
    }

    /**
     * As {@link #attach(LoadBalancer, AdminConfig, boolean)}, with the token read already
     * ({@link BearerToken#atStart}: before the listeners bound), or null for none.
     */
    public static void attach(final LoadBalancer lb, final AdminConfig config, final boolean succeeding,
                              final BearerToken token) throws IOException {
        final AdminServer metrics = startMetrics(lb, config, succeeding);
        if (metrics != null) {
            lb.attachMetrics(metrics.address(), metrics);
        }
        final AdminServer server = start(lb, config, AdminLimits.DEFAULTS, succeeding, token);
        if (server != null) {
            lb.attachAdmin(server.address(), server);
        }
    }

    /**
     * Starts the metrics-only listener {@code config} asks for, if any: read-only routes, no token; the address
     * must bind. Not attached: the caller owns it.
     *
     * @return the running server, or null when the config has no metrics address
     * @throws BindException when its address cannot be bound
     */
    public static AdminServer startMetrics(final LoadBalancer lb, final AdminConfig config) throws IOException {
        return startMetrics(lb, config, false);
    }

    private static AdminServer startMetrics(final LoadBalancer lb, final AdminConfig config, final boolean succeeding)
        throws IOException {
        if (config.metricsAddress() == null) {
            return null;
        }
        final ServerSocket socket = bind(config.metricsAddress(), "metrics address", succeeding);
        final AdminServer server = new AdminServer(socket,
            AdminRoutes.readOnly(lb, new HostGuard(config.allowedHosts())), AdminLimits.DEFAULTS);
        server.acceptor.start();
        return server;
    }

    /**
     * The JDK's reason in lower case, with the hint a listener's line gives for a port below 1024 (black-box
     * testing, session 29: the admin and metrics addresses said only "permission denied").
     */
    static String bindReason(final BindException e, final InetSocketAddress address) {
        final String reason = e.getMessage() == null ? "cannot bind" : e.getMessage().toLowerCase(Locale.ROOT);
        return reason.contains("permission denied") && address.getPort() < 1024
            ? reason + " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" : reason;
    }

    private static ServerSocket bind(final InetSocketAddress address, final String what, final boolean succeeding)
        throws IOException {
        final ServerSocket socket;
        try {
            socket = listen(address, succeeding);
        } catch (final BindException e) {
            final BindException failure = new BindException("cannot listen on " + what + " "
                + Endpoint.hostPort(address) + ": " + bindReason(e, address));
            failure.initCause(e);
            throw failure;
        }
        return socket;
    }

    /**
     * Starts the engine, then its admin API as {@code config} says, as {@code niolb run} does: for tests and
     * embedders that want both. When the admin API cannot start, the engine is stopped again.
     *
     * @throws java.net.BindException when a listener or a required admin address cannot be bound
     * @throws IOException            on any other failure to start; nothing is left running
     */
    public static LoadBalancer startWithEngine(final Config config) throws IOException {
        return startWithEngine(config, OperatorStates.NONE);
    }

    /** As {@link #startWithEngine(Config)}, the servers' operator states kept in {@code states}. */
    public static LoadBalancer startWithEngine(final Config config,
                                               final OperatorStates states) throws IOException {
        final LoadBalancer lb = LoadBalancer.start(config, states);
        try {
            attach(lb, config.admin());
        } catch (final IOException | RuntimeException e) {
            lb.stop(java.time.Duration.ZERO);
            throw e;
        }
        return lb;
    }

    static AdminServer start(final LoadBalancer lb, final AdminConfig config, final AdminLimits limits)
        throws IOException {
        return start(lb, config, limits, false, config.enabled() && config.tokenFile() != null
            ? BearerToken.read(config.tokenFile()) : null);
    }

    private static AdminServer start(final LoadBalancer lb, final AdminConfig config, final AdminLimits limits,
                                     final boolean succeeding, final BearerToken token) throws IOException {
        if (!config.enabled()) {
            return null;
        }
        final ServerSocket socket;
        try {
            socket = listen(config.address(), succeeding);
        } catch (final BindException e) {
            final String why = "cannot listen on admin address " + Endpoint.hostPort(config.address()) + ": "
                + bindReason(e, config.address());
            if (config.required()) {
                final BindException failure = new BindException(why);
                failure.initCause(e);
                throw failure;
            }
            LOG.warn("{}; running without the admin API (give --admin ADDR or --admin none)", why);
            return null;
        }
        final AdminServer server = new AdminServer(socket,
            new AdminRoutes(lb, token, new HostGuard(config.allowedHosts())), limits);
        server.acceptor.start();
        return server; // the caller says where it listens (niolb run: after its start-up line)
    }

    /**
     * A listening socket at {@code address}, with {@code SO_REUSEPORT} so that a successor (a takeover) can bind
     * beside it while this process still serves. Anyone else is refused as before: unless {@code succeeding}, a
     * plain bind first finds the address in use.
     */
    private static ServerSocket listen(final InetSocketAddress address, final boolean succeeding) throws IOException {
        final ServerSocket socket = unbound(address);
        try {
            final boolean reusePort = socket.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT);
            if (reusePort && !succeeding && address.getPort() != 0) {
                try (ServerSocket probe = unbound(address)) {
                    probe.bind(address, 1); // throws when in use, as a bind without SO_REUSEPORT always did
                }
            }
            if (reusePort) {
                socket.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            }
            socket.bind(address, BACKLOG);
            return socket;
        } catch (final IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * An IPv4 socket for an IPv4 address: the JDK's sockets are dual-stack by default, where {@code 0.0.0.0} binds
     * {@code ::}, and the admin API would answer over IPv6 too, past a firewall written for IPv4 (session 21).
     * The listeners already bind so.
     */
    private static ServerSocket unbound(final InetSocketAddress address) throws IOException {
        return address.getAddress() instanceof Inet4Address
            ? ServerSocketChannel.open(StandardProtocolFamily.INET).socket() : new ServerSocket();
    }

    /** Where it listens (a port 0 resolved). */
    public InetSocketAddress address() {
        return address;
    }

    /** Admin connections open now. */
    int openConnections() {
        synchronized (lock) {
            return open.size();
        }
    }

    private void acceptLoop() {
        while (!closed) {
            final Socket s;
            try {
                s = socket.accept();
            } catch (final IOException e) {
                if (closed) {
                    return;
                }
                // e.g. EMFILE: the data path's listeners report theirs; pause instead of spinning on the backlog
                LOG.debug("admin accept: {}", e.toString());
                pause();
                continue;
            }
            admit(s);
        }
    }

    /** Takes a new connection, in place of the oldest one still sending its request when all places are taken. */
    private void admit(final Socket s) {
        final AdminConnection connection = new AdminConnection(s, routes, limits, timer);
        AdminConnection evicted = null;
        synchronized (lock) {
            if (open.size() >= limits.maxConnections()) {
                for (final AdminConnection c : open) {
                    if (c.evictable()) {
                        evicted = c;
                        break;
                    }
                }
                if (evicted == null) {
                    closeQuietly(s); // every place is taken by a request being answered
                    return;
                }
                open.remove(evicted);
            }
            open.add(connection);
        }
        if (evicted != null) {
            evicted.close();
        }
        Thread.ofVirtual().name("niolb-admin").start(() -> {
            try {
                connection.serve();
            } finally {
                synchronized (lock) {
                    open.remove(connection);
                }
            }
        });
    }

    /** Stops accepting and closes every admin connection. */
    @Override
    public void close() {
        closed = true;
        closeQuietly(socket);
        final List<AdminConnection> all;
        synchronized (lock) {
            all = new ArrayList<>(open);
            open.clear();
        }
        all.forEach(AdminConnection::close);
        routes.flushRefusals();
        timer.shutdownNow();
        try {
            acceptor.join(1_000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void pause() {
        try {
            TimeUnit.MILLISECONDS.sleep(ACCEPT_PAUSE_MS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(final java.io.Closeable c) {
        try {
            c.close();
        } catch (final IOException e) {
            LOG.debug("admin: closing: {}", e.toString());
        }
    }
}
