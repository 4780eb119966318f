package dev.niolb.admin;

import dev.niolb.testing.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Slow and numerous admin clients: each is closed at its deadline, and they cannot hold the admin API. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminTimeoutsTest {
    private static final Duration HEADER = Duration.ofMillis(1_500);
    private static final Duration BODY = Duration.ofMillis(1_500);
    private static final AdminLimits SHORT = new AdminLimits(HEADER, BODY, Duration.ofSeconds(5), 8, 16 * 1024,
        64 * 1024);
    private static final AdminLimits LONG = new AdminLimits(Duration.ofSeconds(30), Duration.ofSeconds(30),
        Duration.ofSeconds(30), 8, 16 * 1024, 64 * 1024);

    /** What a dripping client got: the server's whole answer, and how long until its first byte. */
    private record Dripped(String answer, Duration untilAnswer) {
    }

    /**
     * Sends {@code prefix}, then one byte every 100 ms until the server closes; returns what it answered meanwhile
     * and when.
     */
    private static Dripped dripUntilClosed(final InetSocketAddress admin, final String prefix) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(admin, 2_000);
            final long start = System.nanoTime();
            final OutputStream out = s.getOutputStream();
            out.write(prefix.getBytes(StandardCharsets.ISO_8859_1));
            final Thread drip = Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        Thread.sleep(100); // the client's pace is the behaviour under test
                        out.write('a');
                        out.flush();
                    }
                } catch (final IOException | InterruptedException e) {
                    // closed by the server (or by us, below)
                }
            });
            s.setSoTimeout(20_000);
            final InputStream in = s.getInputStream();
            final int first = in.read();
            final Duration took = Duration.ofNanos(System.nanoTime() - start);
            final StringBuilder answer = new StringBuilder();
            try {
                for (int b = first; b >= 0; b = in.read()) {
                    answer.append((char) b);
                }
            } catch (final SocketException reset) {
                // closed with our drip still in flight: a reset is a close too, after what was read
            }
            drip.interrupt();
            return new Dripped(answer.toString(), took);
        }
    }

    @Test
    void aClientDrippingHeaderBytesIsAnswered408AtTheHeaderTimeout() throws Exception {
        try (AdminRig rig = new AdminRig(1).limits(SHORT).start()) {
            final Dripped dripped = dripUntilClosed(rig.adminAddress(), "GET /api/stats HTTP/1.1\r\nX-Slow: ");

            assertThat(dripped.answer()).startsWith("HTTP/1.1 408 Request Timeout\r\n")
                .contains("{\"error\":\"the request did not arrive in time (headers within 1500ms, then the body "
                    + "within 1500ms)\"}");
            assertThat(dripped.untilAnswer()).isBetween(HEADER.minusMillis(100), HEADER.plusSeconds(2));
            Await.until(() -> rig.admin.openConnections() == 0, 5_000); // its place is given back
        }
    }

    @Test
    void aClientDrippingItsBodyIsAnswered408AtTheBodyTimeout() throws Exception {
        try (AdminRig rig = new AdminRig(1).limits(SHORT).start()) {
            final Dripped dripped = dripUntilClosed(rig.adminAddress(), "POST /api/groups/g/servers/s0 HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\n");

            assertThat(dripped.answer()).startsWith("HTTP/1.1 408 Request Timeout\r\n");
            assertThat(dripped.untilAnswer()).isBetween(BODY.minusMillis(100), BODY.plusSeconds(2));
        }
    }

    @Test
    void aClientThatSendsNothingIsClosedAtTheHeaderTimeout() throws Exception {
        try (AdminRig rig = new AdminRig(1).limits(SHORT).start(); Socket s = new Socket()) {
            s.connect(rig.adminAddress(), 2_000);
            s.setSoTimeout(20_000);
            final long start = System.nanoTime();

            assertThat(s.getInputStream().read()).isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(HEADER.plusSeconds(2));
        }
    }

    @Test
    void pastTheConnectionCapTheOldestSlowClientsAreClosedAndAGetIsStillAnswered() throws Exception {
        final int clients = 3 * LONG.maxConnections();
        final List<Socket> slow = new ArrayList<>();
        try (AdminRig rig = new AdminRig(1).limits(LONG).start()) {
            for (int i = 0; i < clients; i++) {
                final Socket s = new Socket();
                slow.add(s);
                s.connect(rig.adminAddress(), 2_000);
                s.getOutputStream().write("GET /api/stats HTTP/1.1\r\nHost: 127".getBytes(StandardCharsets.US_ASCII));
            }

            final RawHttp.Answer answer = RawHttp.get(rig.adminAddress(), "/api/stats", "127.0.0.1");
            assertThat(answer.status()).isEqualTo(200);

            // the GET took the place of one more: the oldest clients - cap + 1 are closed, the newest cap - 1 not
            final int closedExpected = clients - LONG.maxConnections() + 1;
            for (int i = 0; i < clients; i++) {
                assertThat(closed(slow.get(i), i < closedExpected)).as("client %d closed", i)
                    .isEqualTo(i < closedExpected);
            }
            assertThat(rig.admin.openConnections()).isLessThanOrEqualTo(LONG.maxConnections());
            assertThat(AdminRig.greeting(rig.connect())).as("the data path accepts meanwhile").isEqualTo("s0");
        } finally {
            for (final Socket s : slow) {
                s.close();
            }
        }
    }

    /**
     * Every place taken by clients that asked for a /metrics page far larger than the socket buffers and read only
     * its first byte: once their answers have been going out for a second, a new request takes the place of one
     * of them. Such clients held every place for the response timeout, and /ready went unanswered (black-box
     * testing, session 33).
     */
    @Test
    void clientsThatStopReadingALargeAnswerCannotHoldEveryPlace() throws Exception {
        final List<Socket> stalled = new ArrayList<>();
        try (AdminRig rig = new AdminRig(1).quietServers(3000).limits(LONG).start()) {
            for (int i = 0; i < LONG.maxConnections(); i++) {
                final Socket s = new Socket();
                stalled.add(s);
                s.setReceiveBufferSize(4096); // before connect: the window the answer squeezes through
                s.connect(rig.adminAddress(), 2_000);
                s.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            }
            for (final Socket s : stalled) { // each answer is going out (and about 14 MB stay behind, unread)
                s.setSoTimeout(20_000);
                assertThat(s.getInputStream().read()).isEqualTo('H');
            }

            final RawHttp.Answer[] ready = new RawHttp.Answer[1];
            Await.until(() -> {
                try {
                    ready[0] = RawHttp.get(rig.adminAddress(), "/ready", "127.0.0.1");
                    return true;
                } catch (final IOException closedUnanswered) {
                    return false; // every place still held by an answer younger than a second
                }
            }, 10_000);
            assertThat(ready[0].status()).isEqualTo(200);
            assertThat(rig.admin.openConnections()).isLessThanOrEqualTo(LONG.maxConnections());
        } finally {
            for (final Socket s : stalled) {
                s.close();
            }
        }
    }

    /** Whether the server closed {@code s}: waits for the close when one is expected, briefly when none is. */
    private static boolean closed(final Socket s, final boolean expected) throws IOException {
        s.setSoTimeout(expected ? 10_000 : 300);
        final InputStream in = s.getInputStream();
        try {
            return in.read() < 0;
        } catch (final SocketTimeoutException e) {
            return false;
        } catch (final SocketException e) {
            return true; // reset: closed with our bytes unread
        }
    }
}
