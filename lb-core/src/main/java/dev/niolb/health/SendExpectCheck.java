package dev.niolb.health;

import java.net.InetSocketAddress;

/**
 * The {@code send:…,expect:…} check: sends fixed bytes, passes when the reply starts with the expected bytes
 * (Redis {@code PING} → {@code +PONG}). Fails as soon as a byte differs, or when the peer closes first.
 * Immutable.
 */
final class SendExpectCheck implements Probe {
    private final byte[] send;
    private final byte[] expect;

    SendExpectCheck(final byte[] send, final byte[] expect) {
        this.send = send.clone();
        this.expect = expect.clone();
    }

    @Override
    public byte[] request(final InetSocketAddress target) {
        return send.clone();
    }

    @Override
    public CheckResult judge(final byte[] reply, final int length, final boolean eof) {
        final int n = Math.min(length, expect.length);
        for (int i = 0; i < n; i++) {
            if (reply[i] != expect[i]) {
                return CheckResult.failed("expected '" + Probe.printable(expect, expect.length) + "', got '"
                    + Probe.printable(reply, length) + "'");
            }
        }
        if (length >= expect.length) {
            return CheckResult.passed("got '" + Probe.printable(expect, expect.length) + "'");
        }
        if (eof) {
            return CheckResult.failed(length == 0 ? "connection closed without a reply"
                : "connection closed after '" + Probe.printable(reply, length) + "'");
        }
        return null;
    }
}
