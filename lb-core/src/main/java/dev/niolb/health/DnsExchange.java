package dev.niolb.health;

import dev.niolb.loop.EventLoop;
import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Timeout;
import org.agrona.DeadlineTimerWheel;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * One {@code dns} check: a query in one datagram from a non-blocking {@link DatagramChannel} connected to the
 * server, and its reply judged by {@link DnsCheck}, within one timeout on the loop's timer wheel. Reports
 * exactly one {@link CheckResult}, then is done.
 *
 * <p>Not threadsafe: owned by the health loop; it never blocks. The socket is connected so that the kernel
 * drops datagrams from anyone but the server and reports ICMP port unreachable (a stopped server) as an
 * exception, which fails the check at once instead of at the timeout. Each check has a new socket, so a
 * new source port, and a random id: a reply to an older check cannot pass this one.
 */
final class DnsExchange implements IoHandler, Timeout {
    /** A reply without EDNS is at most 512 bytes; the header is all the verdict needs, so more is harmless. */
    private static final int MAX_REPLY = 512;

    private final EventLoop loop;
    private final DnsCheck check;
    private final InetSocketAddress target;
    private final long timeoutMs;
    private final Consumer<CheckResult> done;
    private final int id = ThreadLocalRandom.current().nextInt(1 << 16);
    private final byte[] reply = new byte[MAX_REPLY];
    private DatagramChannel channel;
    private SelectionKey key;
    private long timerId = DeadlineTimerWheel.NULL_DEADLINE;
    private boolean finished;

    DnsExchange(final EventLoop loop, final DnsCheck check, final InetSocketAddress target, final long timeoutMs,
                final Consumer<CheckResult> done) {
        this.loop = loop;
        this.check = check;
        this.target = target;
        this.timeoutMs = timeoutMs;
        this.done = done;
    }

    /** Sends the query. Health loop. */
    void start() {
        try {
            channel = DatagramChannel.open();
            channel.configureBlocking(false);
            channel.connect(target);
            timerId = loop.schedule(loop.nowMs() + timeoutMs, this);
            key = loop.register(channel, SelectionKey.OP_READ, this);
            if (channel.write(ByteBuffer.wrap(check.query(id))) == 0) {
                finish(CheckResult.failed("query not sent: socket send buffer full"));
            }
        } catch (final IOException e) {
            finish(CheckResult.failed(describe(e)));
        }
    }

    @Override
    public void onReady(final SelectionKey selected) {
        try {
            while (!finished) {
                final ByteBuffer in = ByteBuffer.wrap(reply);
                if (channel.receive(in) == null) {
                    return;
                }
                final CheckResult verdict = check.judge(reply, in.position(), id);
                if (verdict != null) {
                    finish(verdict);
                }
            }
        } catch (final IOException e) {
            finish(CheckResult.failed(describe(e)));
        }
    }

    @Override
    public void onTimeout(final long expiredTimerId, final long nowMs) {
        timerId = DeadlineTimerWheel.NULL_DEADLINE;
        finish(CheckResult.failed("no DNS reply within " + timeoutMs + " ms"));
    }

    @Override
    public void onFailure(final Throwable failure) {
        finish(CheckResult.failed("internal error: " + failure));
    }

    private void finish(final CheckResult result) {
        if (finished) {
            return;
        }
        finished = true;
        loop.cancel(timerId);
        timerId = DeadlineTimerWheel.NULL_DEADLINE;
        if (key != null) {
            key.cancel();
        }
        if (channel != null) {
            try {
                channel.close();
            } catch (final IOException ignored) {
                // the descriptor is released either way
            }
        }
        done.accept(result);
    }

    private static String describe(final IOException e) {
        return e instanceof PortUnreachableException ? "port unreachable" : CheckConnection.describe(e);
    }
}
