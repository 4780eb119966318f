package dev.niolb.cli;

import dev.niolb.testing.EchoServer;
import dev.niolb.transport.epoll.EpollTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;


import static org.assertj.core.api.Assertions.assertThat;

/** {@code niolb run} end to end: a child process, real sockets on loopback, real signals. */
@Timeout(60)
class RunProcessTest {
    private static final Duration START = Duration.ofSeconds(20);
    private static final Duration EXIT = Duration.ofSeconds(20);

    @Test
    void aStopWhileTheFirstDnsLookupsWaitEndsNiolbBeforeItBindsAnything() throws Exception {
        try (java.net.DatagramSocket silentResolver = new java.net.DatagramSocket(
                new java.net.InetSocketAddress("127.0.0.1", 0));
             ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            final int port = free.getLocalPort();
            free.close(); // the listen address niolb must not bind
            silentResolver.setSoTimeout(20_000);
            try (NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:" + port,
                "--server", "backend.test:80", "--resolver", "127.0.0.1:" + silentResolver.getLocalPort(),
                "--admin", "none")) {
                silentResolver.receive(new java.net.DatagramPacket(new byte[512], 512)); // asked, never answered

                niolb.signal("TERM");

                assertThat(niolb.awaitExit(Duration.ofSeconds(20))).isZero();
                assertThat(niolb.out())
                    .anyMatch(l -> l.contains("stopped while starting (SIGTERM), before any listener was bound"))
                    .noneMatch(l -> l.contains("listening on"));
            }
        }
    }

    @Test
    void clientsGetTheirBytesEchoedThroughRunAndRoundRobinVisitsBothServers() throws Exception {
        try (EchoServer a = new EchoServer("server-a"); EchoServer b = new EchoServer("server-b");
             NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--threads", "1",
                 "--server", hostPort(a), "--server", hostPort(b))) {
            final int port = niolb.awaitListeningPort();
            assertThat(niolb.out()).anySatisfy(line -> assertThat(line).contains(
                "servers " + hostPort(a) + " weight 1, " + hostPort(b) + " weight 1; balance roundrobin; "
                    + (EpollTransport.isAvailable() ? "epoll" : "nio") + " transport, 1 thread")); // auto, the default

            final Set<String> greetings = new HashSet<>();
            for (int i = 0; i < 2; i++) {
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    greetings.add(readLine(client));
                    final byte[] sent = new byte[256 * 1024];
                    new Random(i).nextBytes(sent);
                    final byte[] received = new byte[sent.length];
                    // write from another thread: the echo comes back while we are still sending
                    final Thread writer = Thread.ofVirtual().start(() -> write(client, sent));
                    new DataInputStream(client.getInputStream()).readFully(received);
                    writer.join();
                    assertThat(received).isEqualTo(sent);
                }
            }
            assertThat(greetings).containsExactlyInAnyOrder("server-a", "server-b");
        }
    }

    @Test
    void theEpollTransportServesAndTheStartLineSaysItRuns() throws Exception {
        try (EchoServer a = new EchoServer("through-epoll");
             NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--threads", "2",
                 "--transport", "epoll", "--server", hostPort(a))) {
            final int port = niolb.awaitListeningPort();
            assertThat(niolb.out()).anySatisfy(line -> assertThat(line).endsWith("; epoll transport, 2 threads"));
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
                assertThat(readLine(client)).isEqualTo("through-epoll");
                final byte[] sent = new byte[512 * 1024];
                new Random(7).nextBytes(sent);
                final byte[] received = new byte[sent.length];
                final Thread writer = Thread.ofVirtual().start(() -> write(client, sent));
                new DataInputStream(client.getInputStream()).readFully(received);
                writer.join();
                assertThat(received).isEqualTo(sent);
            }
        }
    }

    @Test
    void aPortInUseOnTheEpollTransportIsTheSameOneLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             NiolbProcess niolb = NiolbProcess.start("run", "--transport", "epoll", "--listen",
                 "127.0.0.1:" + taken.getLocalPort(), "--server", "127.0.0.1:9")) {
            assertThat(niolb.awaitExit(EXIT)).isEqualTo(1);
            assertThat(niolb.err()).containsExactly(
                "niolb: cannot listen on 127.0.0.1:" + taken.getLocalPort() + ": address already in use");
        }
    }

    @Test
    void aServerGivenAsLocalhostIsResolvedAndServes() throws Exception {
        try (EchoServer a = new EchoServer("by-name");
             NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--threads", "1",
                 "--server", "localhost:" + a.address().getPort())) {
            final int port = niolb.awaitListeningPort();
            assertThat(niolb.out()).anySatisfy(line -> assertThat(line).contains(
                "servers localhost:" + a.address().getPort() + " (dns) weight 1"));
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
                assertThat(readLine(client)).isEqualTo("by-name");
            }
        }
    }

    @Test
    void aPortInUseIsOneLineAndExitCode1() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:" + taken.getLocalPort(),
                 "--server", "127.0.0.1:9")) {
            assertThat(niolb.awaitExit(EXIT)).isEqualTo(1);
            assertThat(niolb.err()).containsExactly(
                "niolb: cannot listen on 127.0.0.1:" + taken.getLocalPort() + ": address already in use");
            assertThat(niolb.out()).noneMatch(line -> line.contains("Exception") || line.startsWith("\tat "));
        }
    }

    @Test
    void sigtermLetsASessionInFlightFinishThenExitsZero() throws Exception {
        try (EchoServer server = new EchoServer("hi");
             NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--server", hostPort(server),
                 "--grace", "20s", "--threads", "2")) {
            final int port = niolb.awaitListeningPort();
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
                assertThat(readLine(client)).isEqualTo("hi");

                niolb.signal("TERM");
                niolb.awaitOut("stopping: 1 session, grace 20s \\(SIGTERM\\)", START);
                // the session still works during the grace period
                client.getOutputStream().write("still here\n".getBytes(StandardCharsets.UTF_8));
                assertThat(readLine(client)).isEqualTo("still here");
                // and new connections are no longer accepted: "stopping" is logged just before the listeners close
                assertThat(refusedWithin(port, 5_000)).isTrue();
            }
            assertThat(niolb.awaitExit(EXIT)).isZero();
            assertThat(niolb.out()).last().asString().endsWith(" - stopped");
            assertThat(niolb.err()).isEmpty();
        }
    }

    @Test
    void sigintStopsGracefullyAndExitsZero() throws Exception {
        try (EchoServer server = new EchoServer();
             NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--server", hostPort(server))) {
            niolb.awaitListeningPort();
            niolb.signal("INT");
            assertThat(niolb.awaitExit(EXIT)).isZero();
            assertThat(niolb.out()).anyMatch(line -> line.endsWith("stopping: 0 sessions, grace 30s (SIGINT)"));
            assertThat(niolb.out()).last().asString().endsWith(" - stopped");
        }
    }

    @Test
    void strayUsr1Usr2AndAlrmSignalsAreLoggedAndSessionsGoOn() throws Exception {
        try (EchoServer server = new EchoServer("hi");
             NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--server", hostPort(server));
             Socket client = new Socket(InetAddress.getLoopbackAddress(), niolb.awaitListeningPort())) {
            assertThat(readLine(client)).isEqualTo("hi");
            niolb.signal("USR1"); // by default: the process ends at once, exit 138, not a word in the log
            niolb.signal("ALRM"); // (USR1 reopens the access log: with none, it does nothing)
            niolb.awaitOut("SIGALRM ignored: niolb stops on SIGTERM, reloads on SIGHUP and reopens its access log on"
                + " SIGUSR1", START);
            niolb.signal("USR2"); // the JVM's own on HotSpot, or ours: either way the process stays

            client.getOutputStream().write("still here\n".getBytes(StandardCharsets.UTF_8));
            assertThat(readLine(client)).isEqualTo("still here");
            assertThat(niolb.isAlive()).isTrue();
            client.close();
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(EXIT)).isZero();
            assertThat(niolb.err()).isEmpty();
        }
    }

    @Test
    void aSecondSignalDuringTheGracePeriodExitsAtOnceWith128PlusItsNumber() throws Exception {
        try (EchoServer server = new EchoServer("hi");
             NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--server", hostPort(server),
                 "--grace", "1h");
             Socket client = new Socket(InetAddress.getLoopbackAddress(), niolb.awaitListeningPort())) {
            assertThat(readLine(client)).isEqualTo("hi");

            interruptTwice(niolb);

            assertThat(niolb.awaitExit(EXIT)).isEqualTo(130);
            assertThat(niolb.out()).anyMatch(
                line -> line.endsWith("second signal (SIGINT): exiting now without waiting for sessions"));
        }
    }

    @Test
    void aSecondSignalSaysTheConnectFailuresItsPacedWarningsLeftOutBeforeItExits() throws Exception {
        final int dead;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
            dead = probe.getLocalPort(); // closed once probed: connects to it are refused
        }
        try (EchoServer server = new EchoServer("hi");
             NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--server", hostPort(server),
                 "--server", "127.0.0.1:" + dead, "--max-fails", "0", "--retries", "0", "--grace", "1h",
                 "--admin", "none")) {
            final int port = niolb.awaitListeningPort();
            Socket held = null;
            int failed = 0;
            for (int i = 0; i < 20; i++) { // round robin: every other one goes to the dead server
                final Socket client = new Socket(InetAddress.getLoopbackAddress(), port);
                client.setSoTimeout(5000);
                String line;
                try {
                    line = readLine(client);
                } catch (final IOException reset) {
                    line = null;
                }
                if ("hi".equals(line) && held == null) {
                    held = client; // keeps the stop waiting
                } else {
                    client.close();
                    failed += "hi".equals(line) ? 0 : 1;
                }
            }
            try (Socket session = held) {
                interruptTwice(niolb);

                assertThat(niolb.awaitExit(EXIT)).isEqualTo(130);
            }
            // the first failure has its line; those after it were counted and said by nothing (session 34)
            long said = 0;
            for (final String line : niolb.out()) {
                if (line.contains("failed: Connection refused") || line.contains("failed: connection refused")) {
                    said++;
                }
                final java.util.regex.Matcher more = java.util.regex.Pattern
                    .compile("\\((\\d+) more failures since|: (\\d+) more connect failures?").matcher(line);
                if (more.find()) {
                    said += Long.parseLong(more.group(1) != null ? more.group(1) : more.group(2));
                }
            }
            assertThat(said).as("connect failures logged or counted, of %d: %s", failed, niolb.out())
                .isEqualTo(failed);
        }
    }

    @Test
    void twoSignalsBackToBackAsTimeoutSendsThemAreOneStopThatWaitsForSessions() throws Exception {
        try (EchoServer server = new EchoServer("hi");
             NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--server", hostPort(server),
                 "--grace", "1h");
             Socket client = new Socket(InetAddress.getLoopbackAddress(), niolb.awaitListeningPort())) {
            assertThat(readLine(client)).isEqualTo("hi");

            // two signals back to back, as timeout(1) sends one to the process and then to its group; two of one
            // kind may reach the process as one (the kernel keeps one of a kind pending), so two kinds here
            final long pid = niolb.pid();
            assertThat(new ProcessBuilder("sh", "-c", "kill -s TERM " + pid + "; kill -s INT " + pid).start()
                .waitFor()).isZero();
            niolb.awaitOut("SIG(TERM|INT) as the stop begins: taken as the same request", START);
            niolb.awaitOut("stopping: 1 session, grace 1h \\(SIG(TERM|INT)\\)", START);

            client.getOutputStream().write("still here\n".getBytes(StandardCharsets.UTF_8));
            assertThat(readLine(client)).as("the grace goes on").isEqualTo("still here");
            client.close();
            assertThat(niolb.awaitExit(EXIT)).isZero();
        }
    }

    /**
     * A FIFO at {@code path}: niolb reading its admin token from one waits there, during its start-up, until the
     * test writes the token (opening it to write returns once niolb has opened it to read).
     */
    static java.nio.file.Path fifo(final java.nio.file.Path path) throws IOException, InterruptedException {
        assertThat(new ProcessBuilder("mkfifo", path.toString()).start().waitFor()).as("mkfifo").isZero();
        return path;
    }

    /** An admin token niolb accepts, for {@link #fifo} tests. */
    static final String TOKEN = "a-token-of-thirty-two-characters-or-more\n";

    static String hostPort(final EchoServer server) {
        return "127.0.0.1:" + server.address().getPort();
    }

    /** One line, read byte by byte so that nothing after it is consumed. */
    /** SIGINT, the stop under way with one session and a grace of 1 h, then a second SIGINT, the operator's. */
    private static void interruptTwice(final NiolbProcess niolb) throws Exception {
        final long first = System.nanoTime();
        niolb.signal("INT");
        niolb.awaitOut("stopping: 1 session, grace 1h \\(SIGINT\\)", START);
        // a second signal sooner is the first delivered twice (timeout(1) does that): this one is the operator's
        Thread.sleep(Math.max(0, StopSignals.SAME_REQUEST_MS - (System.nanoTime() - first) / 1_000_000 + 10));
        niolb.signal("INT");
    }

    static String readLine(final Socket socket) throws IOException {
        final StringBuilder line = new StringBuilder();
        int c;
        while ((c = socket.getInputStream().read()) >= 0 && c != '\n') {
            line.append((char) c);
        }
        return line.toString();
    }

    private static void write(final Socket socket, final byte[] data) {
        try {
            final OutputStream out = socket.getOutputStream();
            out.write(data);
            out.flush();
        } catch (final IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static boolean refusedWithin(final int port, final long millis) throws InterruptedException {
        final long deadline = System.nanoTime() + millis * 1_000_000;
        while (!refused(port)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    private static boolean refused(final int port) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return false;
        } catch (final IOException e) {
            return true;
        }
    }
}
