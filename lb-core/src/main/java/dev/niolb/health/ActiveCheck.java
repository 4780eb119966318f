package dev.niolb.health;

import dev.niolb.config.CheckSpec;
import dev.niolb.loop.EventLoop;

import java.net.InetSocketAddress;
import java.util.function.Consumer;

/**
 * How one active check of a server is run: over a TCP connection ({@link CheckConnection} with a {@link Probe})
 * or, for {@code dns}, as a datagram exchange ({@link DatagramExchange} with {@link DnsExchange}).
 *
 * <p>Threading: implementations are immutable; {@link #start} is called on the health loop.
 */
@FunctionalInterface
interface ActiveCheck {
    /** Starts one check of {@code target}; {@code done} hears exactly one result, on the loop. Never blocks. */
    void start(EventLoop loop, InetSocketAddress target, long timeoutMs, Consumer<CheckResult> done);

    static ActiveCheck of(final CheckSpec spec) {
        if (spec instanceof CheckSpec.Dns dns) {
            final DnsCheck check = new DnsCheck(dns.labels());
            return (loop, target, timeoutMs, done) -> new DatagramExchange(loop, target, timeoutMs, new DnsExchange(check),
                DnsExchange.MAX_REPLY, done).start();
        }
        final Probe probe = Probe.of(spec);
        return (loop, target, timeoutMs, done) -> new CheckConnection(loop, probe, target, timeoutMs, done).start();
    }

    /** The passive re-probe of a server only UDP listeners use: see {@link DatagramReprobe}. */
    static ActiveCheck datagramReprobe() {
        return (loop, target, timeoutMs, done) -> new DatagramExchange(loop, target, timeoutMs, DatagramReprobe.INSTANCE, 1,
                done).start();
    }
}
