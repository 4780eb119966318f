package dev.niolb.target;

import dev.niolb.config.Endpoint;
import dev.niolb.config.ServerConfig;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A backend server as the engine sees it: where it is, how much traffic it should get, and its live counters.
 *
 * <p>Threading: immutable identity; {@link #weight()} is a volatile read (operators and health checks will
 * change it at runtime), counters are {@link ServerCounters} (single writer per loop, read by any thread).
 */
public final class Server {
    private final int index;
    private final String name;
    private final InetSocketAddress address;
    private final ServerCounters counters;
    private volatile int weight;

    /**
     * @param index   position in its group, stable for the group's life: balancers and retry masks use it
     * @param stripes the number of event loops that write its counters
     */
    public Server(final int index, final ServerConfig config, final int stripes) {
        this.index = index;
        this.name = config.name();
        this.address = Objects.requireNonNull(config.address());
        this.weight = config.weight();
        this.counters = new ServerCounters(stripes);
    }

    public int index() {
        return index;
    }

    public String name() {
        return name;
    }

    public InetSocketAddress address() {
        return address;
    }

    /** The current weight, 0..256; 0 takes no new sessions. */
    public int weight() {
        return weight;
    }

    public void weight(final int weight) {
        if (weight < 0 || weight > ServerConfig.MAX_WEIGHT) {
            throw new IllegalArgumentException("weight must be 0.." + ServerConfig.MAX_WEIGHT + ", got " + weight);
        }
        this.weight = weight;
    }

    /** Whether a balancer may give this server a new session. */
    public boolean acceptsNew() {
        return weight > 0;
    }

    /** Active sessions across all loops. */
    public long active() {
        return counters.active();
    }

    public ServerCounters counters() {
        return counters;
    }

    @Override
    public String toString() {
        return name.equals(Endpoint.hostPort(address)) ? name : name + "(" + Endpoint.hostPort(address) + ")";
    }
}
