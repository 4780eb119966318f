package dev.niolb.cli;

import dev.niolb.testing.EchoServer;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * niolb whose standard output nobody reads any more (docker's blocking log driver, a stuck {@code | logger}): once
 * the pipe is full every write to it blocks, and neither traffic nor SIGTERM may wait on that.
 */
@Timeout(120)
class StuckStdoutProcessTest {
    /** Sessions enough to fill a 64 KiB pipe with access lines several times over, and a second of WARN lines. */
    private static final int SESSIONS = 2_000;

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "nio"})
    void aStdoutNobodyReadsStopsNeitherTheRelayNorSigterm(final String transport) throws Exception {
        final int dead;
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = closed.getLocalPort(); // refused from now on: every second session logs a connect failure
        }
        try (EchoServer echo = new EchoServer("hi");
             NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--threads", "1",
                 "--transport", transport, "--server", RunProcessTest.hostPort(echo), "--server", "127.0.0.1:" + dead,
                 "--max-fails", "0", "--access-log", "plain", "--admin", "none", "--grace", "1s")) {
            final int port = niolb.awaitListeningPort();
            niolb.stopReadingStdout();

            final long started = System.nanoTime();
            for (int i = 0; i < SESSIONS; i++) {
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    client.setSoTimeout(5_000);
                    assertThat(RunProcessTest.readLine(client)).as("session %d of %d", i + 1, SESSIONS).isEqualTo("hi");
                } catch (final IOException e) {
                    throw new AssertionError("session " + (i + 1) + " after "
                        + Duration.ofNanos(System.nanoTime() - started).toMillis() + " ms: " + e, e);
                }
            }
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(Duration.ofSeconds(15))).as("SIGTERM ends it, its last lines unwritten")
                .isZero();
        }
    }
}
