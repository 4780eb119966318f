package dev.niolb.health;

/**
 * The passive re-probe of a server that only UDP listeners use: a one-byte datagram from a socket connected to it.
 * Fails when ICMP port unreachable comes back, passes on any reply or when none has come within the timeout.
 * The {@link DatagramExchange.Dialogue} of it.
 *
 * <p>Stateless: one instance serves every re-probe.
 *
 * <p>Why silence passes: such a server was taken DOWN by port unreachable during traffic, or by flows it never
 * answered where udp-responses says replies come, so the re-probe asks the question it can: is something bound to
 * the port again? A TCP connect would ask another one, and keep a UDP-only server DOWN for good. The datagram is
 * one newline, the least that can be sent (the JDK does not send empty datagrams): line-based services (syslog)
 * see an empty line, binary ones (DNS, whose header alone is 12 bytes) discard it as too short, so silence cannot
 * be told from health: a server taken DOWN for silence comes back UP and, still silent, goes DOWN again after
 * max-fails more flows. Give such groups an active check ({@code dns}, or a TCP check on a check port).
 */
final class DatagramReprobe implements DatagramExchange.Dialogue {
    static final DatagramReprobe INSTANCE = new DatagramReprobe();
    private static final byte[] PROBE = {'\n'};

    private DatagramReprobe() {
    }

    @Override
    public byte[] request() {
        return PROBE.clone();
    }

    @Override
    public CheckResult judge(final byte[] reply, final int length) {
        return CheckResult.passed("answered a datagram");
    }

    @Override
    public CheckResult silence(final long timeoutMs) {
        return CheckResult.passed("no port unreachable within " + timeoutMs + " ms");
    }
}
