package dev.niolb.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The test peers themselves: a scripted server cannot hide a failing script from its test. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TcpServersTest {

    private static Socket connect(final TcpServers.Scripted server) throws IOException {
        final Socket s = new Socket();
        s.connect(server.address(), 2000);
        s.setSoTimeout(10_000);
        return s;
    }

    @Test
    void aScriptThatThrowsFailsTheTestWhenTheServerIsClosed() throws Exception {
        final TcpServers.Scripted server = new TcpServers.Scripted(s -> {
            throw new IllegalStateException("server got 4999 bytes, expected 5000");
        });
        try (Socket client = connect(server)) {
            assertThat(client.getInputStream().read()).as("the script ended, so did its connection").isEqualTo(-1);
        }
        assertThatThrownBy(server::close).isInstanceOf(AssertionError.class)
            .hasMessageContaining("server got 4999 bytes, expected 5000")
            .hasCauseInstanceOf(IllegalStateException.class);
    }

    @Test
    void anIoFailureInAScriptFailsTheTestToo() throws Exception {
        final TcpServers.Scripted server = new TcpServers.Scripted(s -> {
            throw new UncheckedIOException(new IOException("Connection reset by peer"));
        });
        try (Socket client = connect(server)) {
            assertThat(client.getInputStream().read()).isEqualTo(-1);
        }
        assertThatThrownBy(server::close).isInstanceOf(AssertionError.class).hasMessageContaining("Connection reset");
    }

    @Test
    void aScriptThatEndsNormallyClosesWithoutError() throws Exception {
        final TcpServers.Scripted server = new TcpServers.Scripted(s -> {
            try {
                s.getOutputStream().write('k');
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        try (Socket client = connect(server)) {
            assertThat(client.getInputStream().read()).isEqualTo('k');
            assertThat(client.getInputStream().read()).isEqualTo(-1);
        }
        assertThatCode(server::close).doesNotThrowAnyException();
    }

    @Test
    void aScriptCutShortByCloseIsNotAFailureAndCloseWaitsForIt() throws Exception {
        final CountDownLatch reading = new CountDownLatch(1);
        final CountDownLatch ended = new CountDownLatch(1);
        final TcpServers.Scripted server = new TcpServers.Scripted(s -> {
            try {
                reading.countDown();
                s.getInputStream().read(); // blocks until close() closes the socket under it
                throw new IllegalStateException("read returned while the client was silent");
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                ended.countDown();
            }
        });
        try (Socket client = connect(server)) {
            assertThat(reading.await(10, TimeUnit.SECONDS)).isTrue();
            assertThatCode(server::close).doesNotThrowAnyException();
            assertThat(ended.getCount()).as("close() returned after the script ended").isZero();
        }
    }

    @Test
    void aRefusingAddressKeepsRefusingWhileListenersTakeEphemeralPorts() throws Exception {
        final java.net.InetSocketAddress refusing = TcpServers.refusingAddress();
        final java.util.List<java.net.ServerSocket> listeners = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) { // the kernel hands out freed ephemeral ports again: not this one
                final java.net.ServerSocket l = new java.net.ServerSocket(0, 1, refusing.getAddress());
                listeners.add(l);
                assertThat(l.getLocalPort()).isNotEqualTo(refusing.getPort());
            }
            try (Socket s = new Socket()) {
                assertThatThrownBy(() -> s.connect(refusing, 2000)).isInstanceOf(java.net.ConnectException.class);
            }
        } finally {
            for (final java.net.ServerSocket l : listeners) {
                l.close();
            }
        }
    }
}
