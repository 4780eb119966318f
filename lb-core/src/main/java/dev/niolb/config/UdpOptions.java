package dev.niolb.config;

import java.time.Duration;
import java.util.Objects;

/**
 * How a listener treats its UDP flows (a flow: one client address and the server socket niolb opened for it).
 *
 * @param idleTimeout a flow with no datagram either way for this long ends; must be positive, since a UDP flow
 *                    has no other end the proxy can see
 * @param responses   replies expected per client datagram, as nginx's {@code proxy_responses}: once a flow has
 *                    had {@code responses} replies for every datagram it sent, it ends at once (1 for DNS, so a
 *                    flood of one-shot queries does not pile up sockets); {@code 0} counts none and leaves the
 *                    flow to the idle timeout
 * @param maxFlows    flows open at once over the listener; past it, datagrams from new clients are dropped and
 *                    counted while existing flows go on; {@code 0} sizes it to the open-file limit when the
 *                    listener starts (each flow holds one descriptor)
 * @param retries     further servers tried when a server answers ICMP port unreachable before it has replied to
 *                    the flow: the flow's first datagram is sent again to another server, unseen by the client
 * @param receiveBuffer {@code SO_RCVBUF} of each of the listener's sockets, in bytes (the kernel caps it at
 *                    {@code net.core.rmem_max}); {@code 0} leaves the kernel's default
 *                    ({@code net.core.rmem_default})
 */
public record UdpOptions(Duration idleTimeout, int responses, int maxFlows, int retries, int receiveBuffer) {
    public static final int MAX_RESPONSES = 1_000_000;
    public static final int MAX_FLOWS = 10_000_000;
    public static final UdpOptions DEFAULTS = new UdpOptions(Duration.ofSeconds(30), 0, 0, 2, 0);

    public UdpOptions {
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("udp-idle-timeout must be positive, got " + Durations.format(idleTimeout));
        }
        if (responses < 0 || responses > MAX_RESPONSES) {
            throw new IllegalArgumentException("udp-responses must be 0.." + MAX_RESPONSES + ", got " + responses);
        }
        if (maxFlows < 0 || maxFlows > MAX_FLOWS) {
            throw new IllegalArgumentException("udp-max-flows must be 1.." + MAX_FLOWS + " (0 for the default), got "
                + maxFlows);
        }
        if (retries < 0 || retries > 32) {
            throw new IllegalArgumentException("retries must be 0..32, got " + retries);
        }
        if (receiveBuffer < 0) {
            throw new IllegalArgumentException("udp-rcvbuf must be a size (0 for the kernel's default), got "
                + receiveBuffer);
        }
    }

    public UdpOptions withIdleTimeout(final Duration d) {
        return new UdpOptions(d, responses, maxFlows, retries, receiveBuffer);
    }

    public UdpOptions withResponses(final int n) {
        return new UdpOptions(idleTimeout, n, maxFlows, retries, receiveBuffer);
    }

    public UdpOptions withMaxFlows(final int n) {
        return new UdpOptions(idleTimeout, responses, n, retries, receiveBuffer);
    }

    public UdpOptions withRetries(final int n) {
        return new UdpOptions(idleTimeout, responses, maxFlows, n, receiveBuffer);
    }

    public UdpOptions withReceiveBuffer(final int bytes) {
        return new UdpOptions(idleTimeout, responses, maxFlows, retries, bytes);
    }
}
