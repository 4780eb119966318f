package dev.niolb.health;

import dev.niolb.config.SendProxy;
import dev.niolb.loop.EventLoop;
import dev.niolb.loop.LoopTimer;
import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Timeout;
import dev.niolb.proxyprotocol.ProxyHeaderEncoder;
import dev.niolb.loop.Registration;
import dev.niolb.loop.Ready;
import dev.niolb.config.TcpOptions;
import dev.niolb.transport.StreamSocket;
import dev.niolb.transport.Transport;
import dev.niolb.transport.nio.NioTransport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * One check: a non-blocking connect to a server, the probe's request, its reply judged as it arrives, all
 * within one timeout on the loop's timer wheel. Reports exactly one {@link CheckResult}, then is done.
 *
 * <p>Not threadsafe: owned by the health loop. It never blocks: a server that accepts and then says nothing
 * costs one registered socket and one timer until the timeout, whatever the number of such servers.
 *
 * <p>The socket is closed with a reset (SO_LINGER 0), as HAProxy closes its checks, so that checks every
 * second do not leave TIME_WAIT entries piling up on this host.
 */
final class CheckConnection implements IoHandler, Timeout {
    /** The health loop's transport (its loop is a NIO loop whatever the relay loops run on). */
    private static final Transport HEALTH_TRANSPORT = NioTransport.INSTANCE;
    /** A check's request goes out at once. */
    private static final TcpOptions CHECK_OPTIONS = TcpOptions.DEFAULTS.withNoDelay(true).withKeepAlive(false);

    private static final int CONNECTING = 0;
    private static final int WRITING = 1;
    private static final int READING = 2;
    private static final int DONE = 3;

    private final EventLoop loop;
    private final Probe probe;
    private final InetSocketAddress target;
    private final long timeoutMs;
    private final Consumer<CheckResult> done;
    private final SendProxy.Version proxy;
    private final byte[] reply = new byte[Probe.MAX_REPLY];
    private StreamSocket channel;
    private Registration key;
    private ByteBuffer request;
    private int replyLength;
    private int phase = CONNECTING;
    private final LoopTimer timer;

    CheckConnection(final EventLoop loop, final Probe probe, final InetSocketAddress target, final long timeoutMs,
                    final Consumer<CheckResult> done) {
        this(loop, probe, target, timeoutMs, done, SendProxy.Version.NONE);
    }

    /** @param proxy the PROXY header the connection opens with (see {@link ActiveCheck#of(dev.niolb.config.CheckSpec, SendProxy.Version)}) */
    CheckConnection(final EventLoop loop, final Probe probe, final InetSocketAddress target, final long timeoutMs,
                    final Consumer<CheckResult> done, final SendProxy.Version proxy) {
        this.loop = loop;
        this.timer = new LoopTimer(loop, this);
        this.probe = probe;
        this.target = target;
        this.timeoutMs = timeoutMs;
        this.done = done;
        this.proxy = proxy;
    }

    /** Starts connecting. Health loop. */
    void start() {
        try {
            channel = HEALTH_TRANSPORT.openStream(target);
        } catch (final IOException e) {
            finish(CheckResult.notMade(describe(e)));
            return;
        }
        try {
            channel.apply(CHECK_OPTIONS);
            timer.after(timeoutMs);
            if (channel.connect(target)) {
                connected();
            } else {
                key = channel.register(loop, Ready.CONNECT, this);
            }
        } catch (final IOException e) {
            finish(CheckResult.failed(describe(e)));
        }
    }

    @Override
    public void onReady(final int readyOps) {
        try {
            switch (phase) {
                case CONNECTING -> {
                    if (channel.finishConnect()) {
                        connected();
                    }
                }
                case WRITING -> write();
                case READING -> read();
                default -> { }
            }
        } catch (final IOException e) {
            finish(CheckResult.failed(describe(e)));
        }
    }

    private void connected() throws IOException {
        final ByteBuffer header = switch (proxy) {
            case NONE -> null;
            case V1 -> ProxyHeaderEncoder.v1(channel.localAddress(), target);
            case V2 -> ProxyHeaderEncoder.v2Local();
        };
        if (probe.judgedOnConnect()) {
            if (header != null) {
                channel.write(header); // a fresh socket's buffer takes it whole; the server sees a polite check
            }
            finish(probe.judge(reply, 0, false));
            return;
        }
        final byte[] body = probe.request(target);
        if (header == null) {
            request = ByteBuffer.wrap(body);
        } else {
            request = ByteBuffer.allocate(header.remaining() + body.length).put(header).put(body).flip();
        }
        if (key == null) {
            key = channel.register(loop, 0, this);
        }
        phase = WRITING;
        write();
    }

    private void write() throws IOException {
        channel.write(request);
        if (request.hasRemaining()) {
            key.interest(Ready.WRITE);
            return;
        }
        phase = READING;
        key.interest(Ready.READ);
    }

    private void read() throws IOException {
        final int n = channel.read(ByteBuffer.wrap(reply, replyLength, reply.length - replyLength));
        if (n < 0) {
            finish(probe.judge(reply, replyLength, true));
            return;
        }
        replyLength += n;
        final CheckResult verdict = probe.judge(reply, replyLength, false);
        if (verdict != null) {
            finish(verdict);
        } else if (replyLength == reply.length) {
            finish(CheckResult.failed("no verdict in the first " + reply.length + " bytes of the reply"));
        }
    }

    @Override
    public void onTimeout(final long nowMs) {
        finish(CheckResult.failed(switch (phase) {
            case CONNECTING -> "connect timed out after " + timeoutMs + " ms";
            case WRITING -> "request not taken within " + timeoutMs + " ms";
            default -> replyLength == 0 ? "no reply within " + timeoutMs + " ms"
                : "incomplete reply within " + timeoutMs + " ms: '" + Probe.printable(reply, replyLength) + "'";
        }));
    }

    @Override
    public void onFailure(final Throwable failure) {
        finish(CheckResult.failed("internal error: " + failure));
    }

    private void finish(final CheckResult result) {
        if (phase == DONE) {
            return;
        }
        phase = DONE;
        timer.cancel();
        if (key != null) {
            key.cancel();
        }
        if (channel != null) {
            channel.close(true);
        }
        done.accept(result);
    }

    /** {@code connection refused}, {@code no route to host}: the JDK's message in lower case. */
    static String describe(final IOException e) {
        final String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m.toLowerCase(Locale.ROOT);
    }
}
