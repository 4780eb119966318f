package dev.niolb.health;

import java.net.InetSocketAddress;

/** The {@code tcp} check: a connect that completes within the timeout passes. Immutable. */
final class TcpCheck implements Probe {
    @Override
    public boolean judgedOnConnect() {
        return true;
    }

    @Override
    public byte[] request(final InetSocketAddress target) {
        return new byte[0];
    }

    @Override
    public CheckResult judge(final byte[] reply, final int length, final boolean eof) {
        return CheckResult.passed("connected");
    }
}
