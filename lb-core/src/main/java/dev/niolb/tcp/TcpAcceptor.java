package dev.niolb.tcp;

import dev.niolb.balance.GroupBalancer;
import dev.niolb.loop.BufferPool;
import dev.niolb.loop.EventLoop;
import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Timeout;
import org.agrona.DeadlineTimerWheel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * A listener's socket on one event loop: accepts connections and starts a {@link TcpSession} for each.
 *
 * <p>Not threadsafe: owned by one loop. When accept fails (typically out of file descriptors, EMFILE) the
 * acceptor stops watching the socket for a short back-off instead of spinning on a socket that stays readable;
 * sessions in flight go on, and new clients wait in the kernel's backlog.
 */
final class TcpAcceptor implements IoHandler, Timeout {
    private static final Logger LOG = LoggerFactory.getLogger(TcpAcceptor.class);
    /** Accepts per wake-up: enough to drain a burst, few enough that relaying sessions are not starved. */
    private static final int ACCEPTS_PER_WAKEUP = 64;
    private static final long BACKOFF_MS = 100;

    private final TcpListener listener;
    private final EventLoop loop;
    private final ServerSocketChannel channel;
    private final int stripe;
    private TcpListener.Settings settings;
    private BufferPool pool;
    private GroupBalancer balancer;
    private SelectionKey key;
    private long backoffTimer = DeadlineTimerWheel.NULL_DEADLINE;
    private boolean closed;

    TcpAcceptor(final TcpListener listener, final EventLoop loop, final ServerSocketChannel channel, final int stripe) {
        this.listener = listener;
        this.loop = loop;
        this.channel = channel;
        this.stripe = stripe;
        this.settings = listener.settings();
        this.pool = loop.bufferPool(settings.options().bufferSize());
        this.balancer = new GroupBalancer(settings.group(), 0x9E3779B97F4A7C15L * (stripe + 1));
    }

    /** The listener's settings changed (a reload): a new group gets a new balancer, a new buffer size a pool. */
    private void follow(final TcpListener.Settings next) {
        if (next.group() != settings.group()) {
            balancer = new GroupBalancer(next.group(), 0x9E3779B97F4A7C15L * (stripe + 1));
        }
        if (next.options().bufferSize() != settings.options().bufferSize()) {
            pool = loop.bufferPool(next.options().bufferSize());
        }
        settings = next;
    }

    void register() throws IOException {
        key = loop.register(channel, SelectionKey.OP_ACCEPT, this);
    }

    EventLoop loop() {
        return loop;
    }

    @Override
    public void onReady(final SelectionKey selected) {
        for (int i = 0; i < ACCEPTS_PER_WAKEUP && !closed; i++) {
            final SocketChannel client;
            try {
                client = channel.accept();
            } catch (final IOException e) {
                backOff(e);
                return;
            }
            if (client == null) {
                return;
            }
            final InetSocketAddress clientAddress;
            try {
                clientAddress = (InetSocketAddress) client.getRemoteAddress();
            } catch (final IOException e) {
                closeQuietly(client); // reset before we looked at it: nothing to serve
                continue;
            }
            listener.counters().add(stripe, ListenerCounters.ACCEPTED, 1);
            final TcpListener.Settings current = listener.settings(); // one volatile read per accept
            if (current != settings) {
                follow(current);
            }
            new TcpSession(loop, listener, balancer, pool, client, clientAddress, stripe).start();
        }
    }

    private void backOff(final IOException e) {
        listener.counters().add(stripe, ListenerCounters.ACCEPT_ERRORS, 1);
        LOG.warn("listener {}: accept failed: {}; pausing accepts for {} ms on loop {}", listener.name(),
            e.getMessage(), BACKOFF_MS, loop.index());
        key.interestOps(0);
        backoffTimer = loop.schedule(loop.nowMs() + BACKOFF_MS, this);
    }

    @Override
    public void onTimeout(final long timerId, final long nowMs) {
        backoffTimer = DeadlineTimerWheel.NULL_DEADLINE;
        if (!closed && key.isValid()) {
            key.interestOps(SelectionKey.OP_ACCEPT);
        }
    }

    @Override
    public void onFailure(final Throwable failure) {
        close();
    }

    /** Stops accepting and closes the listening socket. Loop thread. Idempotent. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        loop.cancel(backoffTimer);
        if (key != null) {
            key.cancel();
        }
        try {
            channel.close();
        } catch (final IOException e) {
            LOG.debug("listener {}: closing listening socket: {}", listener.name(), e.toString());
        }
    }

    private static void closeQuietly(final SocketChannel channel) {
        try {
            channel.close();
        } catch (final IOException ignored) {
            // it never became a session
        }
    }
}
