package dev.niolb.cli;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code niolb run} out of direct memory for relay buffers, for real: a JVM with a small
 * {@code -XX:MaxDirectMemorySize}, 1 MiB buffers, a server that streams and clients that never read, so that
 * each session holds a buffer its client does not take. Once none is left, sessions that need one end
 * {@code no_buffer}, and the loop goes on: it never waits on the JDK's collection and sleep behind a refused
 * {@code allocateDirect}, which stalled it, the admin API's stats with it, for tens of seconds (session 24).
 */
@Timeout(120)
class DirectMemoryExhaustionProcessTest {
    private static final int CLIENTS = 40;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"epoll", "nio"})
    void outOfDirectMemoryTheLoopKeepsAnsweringAndServesAgainOnceClientsLeave(final String transport)
        throws Exception {
        final List<Socket> clients = new ArrayList<>();
        try (Streamer streamer = new Streamer();
             NiolbProcess niolb = NiolbProcess.start(List.of(), List.of("-XX:MaxDirectMemorySize=24m"),
                 "run", "--transport", transport, "--threads", "1", "--listen", "127.0.0.1:0",
                 "--server", "127.0.0.1:" + streamer.port(), "--buffer-size", "1m", "--splice", "never",
                 "--admin", "127.0.0.1:0", "--access-log", "plain")) {
            final int admin = Integer.parseInt(niolb.awaitOut(
                "admin API and stats page on http://127\\.0\\.0\\.1:(\\d+)/", Duration.ofSeconds(20)).group(1));
            final int port = niolb.awaitListeningPort();

            // 16 MiB under the bound (24 less 8 of headroom): sixteen sessions' worth, then none
            for (int i = 0; i < CLIENTS; i++) {
                final Socket s = new Socket();
                s.setReceiveBufferSize(4096);
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2_000);
                clients.add(s);
            }
            niolb.awaitOut("out of direct memory for relay buffers", Duration.ofSeconds(30));
            for (int i = 0; i < 5; i++) {
                assertThat(statsStatus(admin)).as("the stats, which every loop answers for, while short").isEqualTo(200);
            }
            assertThat(niolb.out()).anyMatch(line -> line.endsWith(" no_buffer"));
            for (final Socket s : clients) {
                assertThat(endOf(s)).as("a stream no buffer was left for is cut by a reset, never a clean end")
                    .isNotEqualTo(End.CLEAN);
            }

            for (final Socket s : clients) {
                s.close();
            }
            clients.clear();
            try (Socket again = new Socket()) {
                again.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2_000);
                again.setSoTimeout(10_000);
                assertThat(again.getInputStream().readNBytes(1 << 20)).as("a client served in full again")
                    .hasSize(1 << 20);
            }
            assertThat(niolb.isAlive()).isTrue();
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(Duration.ofSeconds(20))).isZero();
            assertThat(niolb.out()).noneMatch(line -> line.contains("Exception") || line.startsWith("\tat "));
        } finally {
            for (final Socket s : clients) {
                s.close();
            }
        }
    }

    private enum End { CLEAN, RESET, STILL_STREAMING }

    /** How a client's stream goes on once it reads: to a clean end, a reset, or on (4 MiB read: its server streams). */
    private static End endOf(final Socket s) throws IOException {
        s.setSoTimeout(10_000);
        final byte[] chunk = new byte[64 * 1024];
        long read = 0;
        try {
            while (read < (4 << 20)) {
                final int n = s.getInputStream().read(chunk);
                if (n < 0) {
                    return End.CLEAN;
                }
                read += n;
            }
            return End.STILL_STREAMING;
        } catch (final java.net.SocketException e) {
            return End.RESET;
        }
    }

    /**
     * The status of a GET of /api/stats, which must come within 3 s: the stall this guards against held it for
     * tens of seconds; an answer takes milliseconds.
     */
    private static int statsStatus(final int admin) throws Exception {
        final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/api/stats"))
            .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** A server that writes to each connection until it goes away. */
    private static final class Streamer implements AutoCloseable {
        private final ServerSocket socket = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        private final List<Socket> open = new ArrayList<>();

        Streamer() throws IOException {
            Thread.ofVirtual().start(() -> {
                while (!socket.isClosed()) {
                    try {
                        final Socket s = socket.accept();
                        synchronized (open) {
                            open.add(s);
                        }
                        Thread.ofVirtual().start(() -> stream(s));
                    } catch (final IOException e) {
                        return;
                    }
                }
            });
        }

        private static void stream(final Socket s) {
            final byte[] chunk = new byte[64 * 1024];
            try (s; OutputStream out = s.getOutputStream()) {
                while (true) {
                    out.write(chunk);
                }
            } catch (final IOException e) {
                // the client (or niolb) went away
            }
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            socket.close();
            synchronized (open) {
                for (final Socket s : open) {
                    s.close();
                }
            }
        }
    }
}
