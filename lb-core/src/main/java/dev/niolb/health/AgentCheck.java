package dev.niolb.health;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The {@code agent} check: connects to the server's agent, which speaks first and sends one line (see
 * {@link AgentReply}); the line ends at a newline or when the agent closes. Immutable.
 */
final class AgentCheck implements Probe {
    @Override
    public byte[] request(final InetSocketAddress target) {
        return new byte[0];
    }

    @Override
    public CheckResult judge(final byte[] reply, final int length, final boolean eof) {
        int end = -1;
        for (int i = 0; i < length; i++) {
            if (reply[i] == '\n') {
                end = i;
                break;
            }
        }
        if (end < 0 && !eof && length < MAX_REPLY) {
            return null;
        }
        final String line = new String(reply, 0, end < 0 ? length : end, StandardCharsets.ISO_8859_1);
        final AgentReply parsed = AgentReply.parse(line);
        if (parsed == null) {
            return CheckResult.failed(length == 0 ? "agent closed without a reply"
                : "agent said nothing niolb understands: '" + Probe.printable(reply, length) + "'");
        }
        return new CheckResult(true, "agent says '" + parsed.text() + "'", parsed);
    }
}
