package dev.niolb.health;

import dev.niolb.config.CheckSpec;
import dev.niolb.config.SendProxy;
import dev.niolb.loop.EventLoop;
import dev.niolb.proxyprotocol.ProxyHeaderEncoder;
import dev.niolb.backend.Server;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
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
        return of(spec, SendProxy.Version.NONE);
    }

    /**
     * @param proxy the PROXY header each check opens with, as HAProxy's checks of a {@code send-proxy} server on
     *              its traffic port do (a server that expects one refuses anything else): v1 with the check
     *              connection's own addresses, v2 a LOCAL command (also in front of a dns query)
     */
    static ActiveCheck of(final CheckSpec spec, final SendProxy.Version proxy) {
        if (spec instanceof CheckSpec.Dns dns) {
            final DnsCheck check = new DnsCheck(dns.labels());
            final boolean v2 = proxy == SendProxy.Version.V2;
            return (loop, target, timeoutMs, done) -> new DatagramExchange(loop, target, timeoutMs,
                v2 ? new LocalHeaderFirst(new DnsExchange(check)) : new DnsExchange(check), DnsExchange.MAX_REPLY,
                done).start();
        }
        final Probe probe = Probe.of(spec);
        return (loop, target, timeoutMs, done) -> new CheckConnection(loop, probe, target, timeoutMs, done, proxy)
            .start();
    }

    /**
     * The PROXY header a server's checks carry: its own, when checks go to its traffic port; none when they go to a
     * {@code check-port} (usually another service, which expects no header).
     */
    static SendProxy.Version proxyHeaderOf(final Server server) {
        return server.checkAddress().equals(server.address()) ? server.sendProxy().version() : SendProxy.Version.NONE;
    }

    /** A datagram check whose request opens with a PROXY v2 LOCAL header (a UDP server may want one on each). */
    record LocalHeaderFirst(DatagramExchange.Dialogue inner) implements DatagramExchange.Dialogue {
        @Override
        public byte[] request() {
            final ByteBuffer header = ProxyHeaderEncoder.v2Local();
            final byte[] body = inner.request();
            final byte[] out = new byte[header.remaining() + body.length];
            header.get(out, 0, header.remaining());
            System.arraycopy(body, 0, out, out.length - body.length, body.length);
            return out;
        }

        @Override
        public CheckResult judge(final byte[] reply, final int length) {
            return inner.judge(reply, length);
        }

        @Override
        public CheckResult silence(final long timeoutMs) {
            return inner.silence(timeoutMs);
        }
    }

    /** The passive re-probe of a server only UDP listeners use: see {@link DatagramReprobe}. */
    static ActiveCheck datagramReprobe() {
        return (loop, target, timeoutMs, done) -> new DatagramExchange(loop, target, timeoutMs, DatagramReprobe.INSTANCE, 1,
                done).start();
    }
}
