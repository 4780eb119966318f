package dev.niolb.tcp;

import dev.niolb.config.Algorithm;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.TransportChoice;
import dev.niolb.loop.EventLoop;
import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Registration;
import dev.niolb.testing.Await;
import dev.niolb.testing.ForwardingStreamSocket;
import dev.niolb.testing.ForwardingTransport;
import dev.niolb.testing.TcpServers;
import dev.niolb.transport.StreamSocket;
import dev.niolb.transport.Transports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A connect that carried the client's first bytes (epoll, loopback) and then could not be watched (registering
 * the socket failed): the session must not try the next server, which would get the rest of a stream whose start
 * went to the first, and both ends are reset so that neither takes a cut stream for a whole one. The failure is
 * made by a transport whose sockets to servers refuse to register.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectThenRegisterFailureTest {
    private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);

    /** What a server heard on one connection, and how it ended ("end" or "reset"). */
    private record Heard(String bytes, String ending) {
    }

    private static TcpServers.Scripted recording(final Queue<Heard> heard) throws IOException {
        return new TcpServers.Scripted(socket -> {
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            String ending = "end";
            try {
                final InputStream in = socket.getInputStream();
                for (int b = in.read(); b >= 0; b = in.read()) {
                    bytes.write(b);
                }
            } catch (final SocketException e) {
                ending = "reset";
            } catch (final IOException e) {
                ending = e.toString();
            }
            heard.add(new Heard(bytes.toString(StandardCharsets.US_ASCII), ending));
        });
    }

    @Test
    void bothEndsAreResetAndNoOtherServerIsTried() throws Exception {
        final Queue<Heard> first = new ConcurrentLinkedQueue<>();
        final Queue<Heard> second = new ConcurrentLinkedQueue<>();
        final AtomicInteger opened = new AtomicInteger(); // sockets to servers, opened on the loop
        final ForwardingTransport unwatchable = new ForwardingTransport(Transports.of(TransportChoice.EPOLL)) {
            @Override
            protected StreamSocket stream(final StreamSocket socket) {
                opened.incrementAndGet();
                return new ForwardingStreamSocket(socket) {
                    /**
                     * As the real one, except that a handshake not done within the call (a loaded machine defers
                     * loopback's to a kernel thread) is finished here, so that the test always takes the path it
                     * is about: connected, with the first bytes written.
                     */
                    @Override
                    public boolean connect(final InetSocketAddress remote, final ByteBuffer first) throws IOException {
                        if (super.connect(remote, first)) {
                            return true;
                        }
                        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                        while (!super.finishConnect()) {
                            if (System.nanoTime() > deadline) {
                                throw new IOException("the test's connect took over 10 s");
                            }
                            Thread.onSpinWait();
                        }
                        super.write(first);
                        return true;
                    }

                    @Override
                    public Registration register(final EventLoop loop, final int ops, final IoHandler handler)
                        throws IOException {
                        throw new IOException("epoll_ctl: No space left on device (made by the test)");
                    }
                };
            }
        };
        try (TcpServers.Scripted a = recording(first);
             TcpServers.Scripted b = recording(second);
             // defer-accept: the session has the client's bytes before it connects, so they go with the connect
             ListenerOnOneLoop front = new ListenerOnOneLoop(unwatchable, new ListenerConfig("front", Protocol.TCP,
                 new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS.withDeferAccept(true)),
                 new TargetGroupConfig("g", Algorithm.ROUNDROBIN,
                     List.of(new ServerConfig("a", a.address(), 1), new ServerConfig("b", b.address(), 1))));
             Socket client = new Socket()) {
            client.connect(front.address(), 5000);
            client.setSoTimeout(10_000);
            client.getOutputStream().write(HELLO);
            final InputStream in = client.getInputStream();
            assertThatThrownBy(in::read).as("the client is reset").isInstanceOf(SocketException.class);
            Await.until(() -> first.size() + second.size() >= 1, 10_000);
            // the session is over, and a retry would have opened its socket before it ended, on the loop
            Await.until(() -> front.listener().counters().get(ListenerCounters.ACTIVE) == 0, 10_000);
            assertThat(opened.get()).as("sockets opened to servers: no retry").isEqualTo(1);
            final Queue<Heard> tried = first.isEmpty() ? second : first;
            final Queue<Heard> other = tried == first ? second : first;
            assertThat(tried).containsExactly(new Heard("hello", "reset"));
            assertThat(other).isEmpty();
        }
    }
}
