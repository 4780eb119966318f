package dev.niolb.health;

import dev.niolb.config.CheckSpec;

import java.net.InetSocketAddress;

/**
 * What one kind of TCP check sends and how it judges the reply; {@link CheckConnection} does the socket work.
 * ({@code dns} is over UDP: {@link DnsCheck} and {@link DnsExchange}.)
 *
 * <p>Threading: immutable; used on the health loop.
 */
sealed interface Probe permits TcpCheck, SendExpectCheck, HttpCheck, AgentCheck {
    /** Bytes read at most before a verdict must be reached. */
    int MAX_REPLY = 1024;

    /** Whether a completed connect is the whole check (no request, no reply). */
    default boolean judgedOnConnect() {
        return false;
    }

    /** The bytes to send once connected to {@code target}; may be empty (the peer speaks first). */
    byte[] request(InetSocketAddress target);

    /**
     * Judges the reply so far.
     *
     * @param reply  the bytes received, {@code reply[0..length)}
     * @param eof    the peer has closed its side: no more bytes will come
     * @return the verdict, or null when more bytes are needed (never null with {@code eof})
     */
    CheckResult judge(byte[] reply, int length, boolean eof);

    static Probe of(final CheckSpec spec) {
        return switch (spec) {
            case CheckSpec.Tcp _ -> new TcpCheck();
            case CheckSpec.SendExpect s -> new SendExpectCheck(s.sendBytes(), s.expectBytes());
            case CheckSpec.Http h -> new HttpCheck(h);
            case CheckSpec.Agent _ -> new AgentCheck();
            // a datagram exchange, not a connection: ActiveCheck.of runs it with a DnsExchange instead
            case CheckSpec.Dns d -> throw new IllegalArgumentException("check " + d + " is not a TCP probe");
        };
    }

    /** {@code bytes[0..length)} as printable text for logs: other bytes as {@code \xHH}, at most 40 chars. */
    static String printable(final byte[] bytes, final int length) {
        return printable(bytes, 0, length);
    }

    /** {@code bytes[from..to)} as {@link #printable(byte[], int)} writes it. */
    static String printable(final byte[] bytes, final int from, final int to) {
        final StringBuilder out = new StringBuilder();
        for (int i = from; i < to && out.length() < 40; i++) {
            final int b = bytes[i] & 0xff;
            if (b == '\r') {
                out.append("\\r");
            } else if (b == '\n') {
                out.append("\\n");
            } else if (b >= 0x20 && b < 0x7f) {
                out.append((char) b);
            } else {
                out.append(String.format("\\x%02x", b));
            }
        }
        return out.toString();
    }
}
