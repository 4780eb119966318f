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
import java.util.function.Consumer;

/**
 * The passive re-probe of a server that only UDP listeners use: a one-byte datagram from a socket connected to it.
 * Fails when ICMP port unreachable comes back, passes on any reply or when none has come within the timeout.
 * Reports exactly one {@link CheckResult}, then is done.
 *
 * <p>Not threadsafe: owned by the health loop; never blocks.
 *
 * <p>Why silence passes: such a server was taken DOWN by port unreachable during traffic (nothing else counts for
 * UDP), so the re-probe asks the same question: is something bound to the port again? A TCP connect would ask
 * another one, and keep a UDP-only server DOWN for good. The datagram is one newline, the least that can be sent
 * (the JDK does not send empty datagrams): line-based services (syslog) see an empty line, binary ones (DNS, whose
 * header alone is 12 bytes) discard it as too short. A server that drops datagrams without ICMP is not seen either way: give such groups an active
 * check ({@code dns}, or a TCP check on a check port).
 */
final class DatagramReprobe implements IoHandler, Timeout {
    private static final byte[] PROBE = {'\n'};
    private final EventLoop loop;
    private final InetSocketAddress target;
    private final long timeoutMs;
    private final Consumer<CheckResult> done;
    private DatagramChannel channel;
    private SelectionKey key;
    private long timerId = DeadlineTimerWheel.NULL_DEADLINE;
    private boolean finished;

    DatagramReprobe(final EventLoop loop, final InetSocketAddress target, final long timeoutMs,
                    final Consumer<CheckResult> done) {
        this.loop = loop;
        this.target = target;
        this.timeoutMs = timeoutMs;
        this.done = done;
    }

    /** Sends the datagram. Health loop. */
    void start() {
        try {
            channel = DatagramChannel.open();
            channel.configureBlocking(false);
            channel.connect(target);
            timerId = loop.schedule(loop.nowMs() + timeoutMs, this);
            key = loop.register(channel, SelectionKey.OP_READ, this);
            channel.write(ByteBuffer.wrap(PROBE));
        } catch (final IOException e) {
            finish(CheckResult.failed(describe(e)));
        }
    }

    @Override
    public void onReady(final SelectionKey selected) {
        try {
            if (channel.receive(ByteBuffer.allocate(1)) != null) {
                finish(CheckResult.passed("answered a datagram"));
            }
        } catch (final IOException e) {
            finish(CheckResult.failed(describe(e)));
        }
    }

    @Override
    public void onTimeout(final long expiredTimerId, final long nowMs) {
        timerId = DeadlineTimerWheel.NULL_DEADLINE;
        finish(CheckResult.passed("no port unreachable within " + timeoutMs + " ms"));
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
