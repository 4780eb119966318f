package dev.niolb.transport.nio;

import dev.niolb.loop.EventLoop;
import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Poller;
import dev.niolb.loop.Ready;
import dev.niolb.loop.Registration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class NioTransportTest {
    private EventLoop loop;

    @AfterEach
    void stopLoop() throws Exception {
        if (loop != null) {
            loop.stop();
            assertThat(loop.awaitTermination(5000)).isTrue();
        }
    }

    @Test
    void readyFlagsAreSelectionKeysOwnValuesSoTheNioPollerPassesThemThrough() {
        assertThat(Ready.READ).isEqualTo(SelectionKey.OP_READ);
        assertThat(Ready.WRITE).isEqualTo(SelectionKey.OP_WRITE);
        assertThat(Ready.CONNECT).isEqualTo(SelectionKey.OP_CONNECT);
        assertThat(Ready.ACCEPT).isEqualTo(SelectionKey.OP_ACCEPT);
    }

    @Test
    void aHandlerHearsOfReadinessOnlyOnceItsRegistrationAsksForIt() throws Exception {
        loop = new EventLoop(0, NioTransport.INSTANCE);
        loop.start();
        final LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
        final ServerSocketChannel listener = ServerSocketChannel.open();
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        listener.configureBlocking(false);
        final Registration registration = loop.submit(() -> register(listener, events)).get(5, TimeUnit.SECONDS);
        try (SocketChannel client = SocketChannel.open(listener.getLocalAddress())) {
            // the connection waits in the backlog; a command queued behind the loop's poll shows whether the
            // handler was told: the loop runs commands after dispatching what its poll found
            assertThat(loop.submit(() -> events.poll()).get(5, TimeUnit.SECONDS)).isNull();
            loop.execute(() -> registration.interest(Ready.ACCEPT));
            assertThat(events.poll(5, TimeUnit.SECONDS)).isEqualTo(Ready.ACCEPT);
            assertThat(client.isConnected()).isTrue();
        }
        assertThat(loop.submit(() -> {
            registration.cancel();
            return registration.isValid();
        }).get(5, TimeUnit.SECONDS)).isFalse();
        listener.close();
    }

    @Test
    void aKeyCancelledByAHandlerEarlierInTheSameSelectIsNotHandedOn() throws Exception {
        final java.util.List<String> told = new java.util.ArrayList<>();
        final Registration[] registrations = new Registration[2];
        final NioPoller poller = new NioPoller((handler, ops, registration) -> {
            told.add(handler.toString());
            for (final Registration other : registrations) {
                other.cancel(); // as a session closing both of its sockets
            }
        });
        try (ServerSocketChannel a = ServerSocketChannel.open(); ServerSocketChannel b = ServerSocketChannel.open()) {
            final ServerSocketChannel[] listeners = {a, b};
            for (int i = 0; i < 2; i++) {
                listeners[i].bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                listeners[i].configureBlocking(false);
                registrations[i] = poller.register(listeners[i], Ready.ACCEPT, named("listener " + i));
            }
            try (SocketChannel toA = SocketChannel.open(a.getLocalAddress());
                 SocketChannel toB = SocketChannel.open(b.getLocalAddress())) {
                poller.poll(5000); // both ready in one select: the first handler cancels the second's key

                assertThat(told).as("one handler, and no CancelledKeyException").hasSize(1);
            }
        } finally {
            poller.close();
        }
    }

    private static IoHandler named(final String name) {
        return new IoHandler() {
            @Override
            public void onReady(final int readyOps) {
            }

            @Override
            public void onFailure(final Throwable failure) {
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }

    @Test
    void aLoopOnAnotherTransportRefusesANioChannel() throws Exception {
        final Poller.Factory other = dispatch -> new Poller() {
            @Override
            public void poll(final long timeoutMs) {
            }

            @Override
            public void pollNow() {
            }

            @Override
            public void wakeup() {
            }

            @Override
            public void releaseClosed() {
            }

            @Override
            public void closeRegistered() {
            }

            @Override
            public void close() {
            }
        };
        final EventLoop foreign = new EventLoop(7, other);
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.configureBlocking(false);
            assertThatThrownBy(() -> NioTransport.register(foreign, listener, Ready.ACCEPT, null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("event loop 7 does not run on the nio transport");
        } finally {
            foreign.stop();
        }
    }

    private Registration register(final ServerSocketChannel listener, final LinkedBlockingQueue<Object> events) {
        try {
            return NioTransport.register(loop, listener, 0, new IoHandler() {
                @Override
                public void onReady(final int readyOps) {
                    events.add(readyOps);
                    try {
                        final SocketChannel accepted = listener.accept();
                        if (accepted != null) {
                            accepted.close();
                        }
                    } catch (final IOException e) {
                        events.add(e);
                    }
                }

                @Override
                public void onFailure(final Throwable failure) {
                    events.add(failure);
                }
            });
        } catch (final IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
