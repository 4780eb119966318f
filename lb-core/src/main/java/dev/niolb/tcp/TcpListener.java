package dev.niolb.tcp;

import dev.niolb.config.AcceptProxy;
import dev.niolb.config.Endpoint;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.loop.EventLoop;
import dev.niolb.target.TargetGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One TCP listener of the config: a listening socket on every event loop, all bound with {@code SO_REUSEPORT}
 * to the same address so that the kernel spreads new connections over the loops.
 *
 * <p>Threading: built and started by the engine's control thread; each {@link TcpAcceptor} then belongs to its
 * loop. The counters are readable from any thread.
 */
public final class TcpListener {
    private static final Logger LOG = LoggerFactory.getLogger(TcpListener.class);
    private static final long WARN_INTERVAL_MS = 1000;

    private final ListenerConfig config;
    private final TargetGroup group;
    private final ListenerCounters counters;
    private final InetSocketAddress localAddress;
    private final TcpAcceptor[] acceptors;
    private final long connectTimeoutMs;
    private final long idleTimeoutMs;
    private final long maxAgeMs;
    private final long headerTimeoutMs;
    private volatile long nextConnectWarnMs;
    private volatile long nextHeaderWarnMs;
    private volatile long suppressedConnectWarns;
    private volatile long nextBufferWarnMs;

    private TcpListener(final ListenerConfig config, final TargetGroup group, final EventLoop[] loops,
                        final ServerSocketChannel[] channels, final InetSocketAddress localAddress) {
        this.config = config;
        this.group = group;
        this.counters = new ListenerCounters(loops.length);
        this.localAddress = localAddress;
        this.connectTimeoutMs = Math.max(1, config.tcp().connectTimeout().toMillis());
        this.idleTimeoutMs = config.tcp().idleTimeout().toMillis();
        this.maxAgeMs = config.tcp().maxConnectionAge().toMillis();
        this.headerTimeoutMs = Math.max(1, config.acceptProxy().headerTimeout().toMillis());
        this.acceptors = new TcpAcceptor[loops.length];
        for (int i = 0; i < loops.length; i++) {
            acceptors[i] = new TcpAcceptor(this, loops[i], channels[channels.length == 1 ? 0 : i], i);
        }
    }

    /**
     * Binds a listening socket per loop. Fails with a {@link BindException} naming the address when another
     * socket (in this process or any other) already listens there: a probe bind without {@code SO_REUSEPORT}
     * comes first, because a plain {@code SO_REUSEPORT} bind would silently share the port with another
     * niolb and steal half its connections.
     */
    public static TcpListener bind(final ListenerConfig config, final TargetGroup group, final EventLoop[] loops)
        throws IOException {
        InetSocketAddress address = config.bind();
        final boolean reusePort;
        try (ServerSocketChannel probe = ServerSocketChannel.open()) {
            reusePort = probe.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT);
            probe.bind(address, 1);
            if (address.getPort() == 0) {
                address = new InetSocketAddress(address.getAddress(),
                    ((InetSocketAddress) probe.getLocalAddress()).getPort());
            }
        } catch (final BindException e) {
            throw bindFailure(config, e);
        }
        // Without SO_REUSEPORT (not Linux/BSD) one socket is registered with every loop's selector instead:
        // the loops then race for each connection, which is correct, only less even.
        final ServerSocketChannel[] channels = new ServerSocketChannel[reusePort ? loops.length : 1];
        try {
            for (int i = 0; i < channels.length; i++) {
                final ServerSocketChannel channel = ServerSocketChannel.open();
                channels[i] = channel;
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                if (reusePort) {
                    channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
                }
                channel.bind(address, config.tcp().backlog());
            }
        } catch (final IOException e) {
            for (final ServerSocketChannel c : channels) {
                if (c != null) {
                    c.close();
                }
            }
            throw e instanceof BindException be ? bindFailure(config, be) : e;
        }
        final InetSocketAddress bound = (InetSocketAddress) channels[0].getLocalAddress();
        return new TcpListener(config, group, loops, channels, bound);
    }

    private static BindException bindFailure(final ListenerConfig config, final BindException cause) {
        final String why = cause.getMessage() == null ? "cannot bind" : cause.getMessage().toLowerCase(java.util.Locale.ROOT);
        final BindException e = new BindException("cannot listen on " + Endpoint.hostPort(config.bind()) + ": " + why);
        e.initCause(cause);
        return e;
    }

    /** Registers every acceptor with its loop's selector. Before the loops start. */
    public void register() throws IOException {
        for (final TcpAcceptor acceptor : acceptors) {
            acceptor.register();
        }
    }

    /**
     * Stops accepting on every loop and closes the listening sockets; sessions in flight go on.
     * Waits up to {@code timeoutMs} for the loops to have done it.
     */
    public void stopAccepting(final long timeoutMs) {
        final CompletableFuture<?>[] done = new CompletableFuture<?>[acceptors.length];
        for (int i = 0; i < acceptors.length; i++) {
            final TcpAcceptor acceptor = acceptors[i];
            done[i] = acceptor.loop().submit(() -> {
                acceptor.close();
                return null;
            });
        }
        try {
            CompletableFuture.allOf(done).get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (final Exception e) {
            LOG.debug("listener {}: not every loop confirmed it stopped accepting: {}", name(), e.toString());
        }
    }

    public String name() {
        return config.name();
    }

    public ListenerConfig config() {
        return config;
    }

    public TcpOptions options() {
        return config.tcp();
    }

    public TargetGroup group() {
        return group;
    }

    public ListenerCounters counters() {
        return counters;
    }

    /** The bound address; an ephemeral port is resolved. */
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    long connectTimeoutMs() {
        return connectTimeoutMs;
    }

    long idleTimeoutMs() {
        return idleTimeoutMs;
    }

    /** Whether and from whom a PROXY protocol header is read. */
    public AcceptProxy acceptProxy() {
        return config.acceptProxy();
    }

    long headerTimeoutMs() {
        return headerTimeoutMs;
    }

    /** A refused PROXY header is logged at WARN at most once a second per listener: a hint; the counters count. */
    void warnProxyHeader(final long nowMs, final InetSocketAddress peer, final String why) {
        if (nowMs < nextHeaderWarnMs) {
            return;
        }
        nextHeaderWarnMs = nowMs + WARN_INTERVAL_MS;
        LOG.warn("listener {}: closed {}: PROXY protocol header refused: {} (more in the next second not logged)",
            name(), Endpoint.hostPort(peer), why);
    }

    /** The maximum connection age in ms, 0 for none. */
    long maxAgeMs() {
        return maxAgeMs;
    }

    /** Out of direct memory for relay buffers: logged at WARN at most once a second per listener. */
    void warnNoBuffer(final long nowMs) {
        if (nowMs < nextBufferWarnMs) {
            return;
        }
        nextBufferWarnMs = nowMs + WARN_INTERVAL_MS;
        LOG.warn("listener {}: out of direct memory for relay buffers; closing sessions that need one"
            + " (raise -XX:MaxDirectMemorySize or lower --buffer-size)", name());
    }

    /**
     * A failed connect is logged at WARN at most once a second per listener, with how many were not logged,
     * so that a dead server under load cannot flood the log.
     */
    void warnConnectFailure(final long nowMs, final String server, final String why, final boolean retrying) {
        if (nowMs < nextConnectWarnMs) {
            suppressedConnectWarns++; // racy across loops by design: a hint, not a counter (see counters())
            return;
        }
        nextConnectWarnMs = nowMs + WARN_INTERVAL_MS;
        final long suppressed = suppressedConnectWarns;
        suppressedConnectWarns = 0;
        LOG.warn("listener {}: connect to server {} failed: {}{}{}", name(), server, why,
            retrying ? "; trying another" : "; giving up on this client",
            suppressed > 0 ? " (" + suppressed + " more failures in the last second not logged)" : "");
    }
}
