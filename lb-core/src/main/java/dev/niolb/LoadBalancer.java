package dev.niolb;

import dev.niolb.config.Config;
import dev.niolb.target.TargetGroup;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * The engine's front door: {@link #start(Config)}, then {@link #stop(Duration)}.
 *
 * <p>Threading: start and stop from any one thread; the query methods from any thread.
 */
public final class LoadBalancer implements AutoCloseable {

    /**
     * Binds every listener on every loop and starts the loops.
     *
     * @throws java.net.BindException when a listen address is in use or cannot be bound
     * @throws IOException            on any other failure to open sockets or selectors; nothing is left running
     */
    public static LoadBalancer start(final Config config) throws IOException {
        throw new UnsupportedOperationException("not built yet");
    }

    /** The address a listener is bound to (an ephemeral port 0 resolved to the real port). */
    public InetSocketAddress localAddress(final String listenerName) {
        throw new UnsupportedOperationException("not built yet");
    }

    /** The bound addresses of all listeners, in config order. */
    public List<InetSocketAddress> localAddresses() {
        throw new UnsupportedOperationException("not built yet");
    }

    public TargetGroup group(final String name) {
        throw new UnsupportedOperationException("not built yet");
    }

    public Config config() {
        throw new UnsupportedOperationException("not built yet");
    }

    /**
     * Stops accepting, lets sessions finish for up to {@code grace}, closes the rest and stops the loops.
     * Idempotent; blocks until the loops have stopped.
     *
     * @return true when every session had finished by itself within the grace period
     */
    public boolean stop(final Duration grace) {
        throw new UnsupportedOperationException("not built yet");
    }

    /** {@link #stop(Duration)} with no grace. */
    @Override
    public void close() {
        stop(Duration.ZERO);
    }
}
