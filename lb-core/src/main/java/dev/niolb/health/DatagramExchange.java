package dev.niolb.health;

import dev.niolb.loop.EventLoop;
import dev.niolb.loop.LoopTimer;
import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Timeout;
import dev.niolb.loop.Registration;
import dev.niolb.loop.Ready;
import dev.niolb.transport.nio.NioTransport;
import dev.niolb.transport.DatagramSocket;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * One request datagram to a server and the verdict on what comes back, within one timeout on the loop's timer
 * wheel; what to send and how to judge is a {@link Dialogue}. Reports exactly one {@link CheckResult}, then is done.
 *
 * <p>Not threadsafe: owned by the health loop; it never blocks. The socket is connected, so that the kernel drops
 * datagrams from anyone but the server and reports ICMP port unreachable (nothing bound there) as an exception,
 * which fails the exchange at once instead of at the timeout. Each exchange has a new socket, so a new source port:
 * a late reply to an older one cannot be taken for this one's.
 */
final class DatagramExchange implements IoHandler, Timeout {

    /** What one kind of datagram check says and how it judges the answer. */
    interface Dialogue {
        /** The request datagram. */
        byte[] request();

        /** The verdict on one reply, or {@code null} when it is not the answer to this request (keep waiting). */
        CheckResult judge(byte[] reply, int length);

        /** The verdict when nothing (or nothing that counts) came back within the timeout. */
        CheckResult silence(long timeoutMs);
    }

    private final EventLoop loop;
    private final InetSocketAddress target;
    private final long timeoutMs;
    private final Dialogue dialogue;
    private final byte[] reply;
    private final Consumer<CheckResult> done;
    private DatagramSocket socket;
    private Registration key;
    private final LoopTimer timer;
    private boolean finished;

    /** @param maxReply bytes of a reply kept for {@link Dialogue#judge}; a longer reply is cut to it */
    DatagramExchange(final EventLoop loop, final InetSocketAddress target, final long timeoutMs,
                     final Dialogue dialogue, final int maxReply, final Consumer<CheckResult> done) {
        this.loop = loop;
        this.timer = new LoopTimer(loop, this);
        this.target = target;
        this.timeoutMs = timeoutMs;
        this.dialogue = dialogue;
        this.reply = new byte[maxReply];
        this.done = done;
    }

    /** Sends the request. Health loop. */
    void start() {
        try {
            socket = NioTransport.INSTANCE.openDatagram(target); // the health loop's transport
        } catch (final IOException e) {
            finish(CheckResult.notMade(describe(e)));
            return;
        }
        try {
            socket.connect(target);
            timer.after(timeoutMs);
            key = socket.register(loop, Ready.READ, this);
            if (socket.write(ByteBuffer.wrap(dialogue.request())) == 0) {
                finish(CheckResult.failed("request not sent: socket send buffer full"));
            }
        } catch (final IOException e) {
            finish(CheckResult.failed(describe(e)));
        }
    }

    @Override
    public void onReady(final int readyOps) {
        try {
            while (!finished) {
                final ByteBuffer in = ByteBuffer.wrap(reply);
                if (socket.receive(in) == null) {
                    return;
                }
                final CheckResult verdict = dialogue.judge(reply, in.position());
                if (verdict != null) {
                    finish(verdict);
                }
            }
        } catch (final IOException e) {
            finish(CheckResult.failed(describe(e)));
        }
    }

    @Override
    public void onTimeout(final long nowMs) {
        finish(dialogue.silence(timeoutMs));
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
        timer.cancel();
        if (key != null) {
            key.cancel();
        }
        if (socket != null) {
            socket.close();
        }
        done.accept(result);
    }

    private static String describe(final IOException e) {
        return e instanceof PortUnreachableException ? "port unreachable" : CheckConnection.describe(e);
    }
}
