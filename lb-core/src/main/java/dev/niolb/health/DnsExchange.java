package dev.niolb.health;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The {@link DatagramExchange.Dialogue} of one {@code dns} check: a query with a random id, its reply judged by
 * {@link DnsCheck}; no reply within the timeout fails. The random id (with the exchange's new source port) means a
 * reply to an older check cannot pass this one.
 *
 * <p>Not threadsafe: one per exchange, on the health loop.
 */
final class DnsExchange implements DatagramExchange.Dialogue {
    /** A reply without EDNS is at most 512 bytes; the header is all the verdict needs, so more is harmless. */
    static final int MAX_REPLY = 512;

    private final DnsCheck check;
    private final int id = ThreadLocalRandom.current().nextInt(1 << 16);

    DnsExchange(final DnsCheck check) {
        this.check = check;
    }

    @Override
    public byte[] request() {
        return check.query(id);
    }

    @Override
    public CheckResult judge(final byte[] reply, final int length) {
        return check.judge(reply, length, id);
    }

    @Override
    public CheckResult silence(final long timeoutMs) {
        return CheckResult.failed("no DNS reply within " + timeoutMs + " ms");
    }
}
