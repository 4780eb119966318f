package dev.niolb.cli;

import dev.niolb.testing.Await;
import dev.niolb.testing.EchoServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code niolb run} out of file descriptors, for real: a child process whose open-file limit is lowered (with
 * prlimit(1), once it has started) to a few sessions' worth, then more clients than that.
 */
@Timeout(120)
class DescriptorExhaustionProcessTest {
    /**
     * Six sessions (a client and a server socket each) and one more: the last client accepted finds no descriptor
     * for its server socket, so both ways of running out are met (accept fails; a server socket cannot be opened).
     */
    private static final int SPARE_DESCRIPTORS = 13;
    private static final int WAITING = 3;

    @Test
    void outOfDescriptorsNiolbKeepsItsSessionsDoesNotSpinAndServesTheWaitingClientsOnceOthersClose() throws Exception {
        assumeTrue(new File("/proc/self/fd").isDirectory(), "needs Linux /proc");
        assumeTrue(onPath("prlimit"), "needs prlimit(1) (util-linux) to lower the child's open-file limit");
        final List<Socket> served = new ArrayList<>();
        final List<Socket> waiting = new ArrayList<>();
        try (EchoServer echo = new EchoServer();
             NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--threads", "2",
                 "--server", echo.address().getHostString() + ":" + echo.address().getPort(),
                 "--connect-timeout", "30s", "--access-log", "plain",
                 // checks that cannot get a socket either: niolb's want, which must not take the server DOWN
                 "--check", "tcp", "--check-interval", "100ms", "--fall", "2", "--admin", "127.0.0.1:0")) {
            final int admin = Integer.parseInt(niolb.awaitOut(
                "admin API and stats page on http://127\\.0\\.0\\.1:(\\d+)/", Duration.ofSeconds(20)).group(1));
            final int port = niolb.awaitListeningPort();
            try (Socket warmUp = connect(port)) { // every class of the session path loaded before descriptors run out
                assertThat(roundTrip(warmUp, 'w', 5_000)).isTrue();
            }
            // and of the check's: the test's class path is directories, where loading a class takes a descriptor
            Await.until(() -> java.util.regex.Pattern.compile("\"checks_passed\":([2-9]|\\d\\d)")
                .matcher(adminBody(admin)).find(), 10_000);
            // its access-log line is written once niolb has closed both of its sockets: count without them
            niolb.awaitOut(" client_close$", Duration.ofSeconds(5));
            final int base = openDescriptors(niolb.pid());
            lowerOpenFileLimit(niolb.pid(), base + SPARE_DESCRIPTORS);

            // open clients until some are not served: the kernel takes them into the backlog, niolb does not
            for (int i = 0; i < 40 && waiting.size() < WAITING; i++) {
                final Socket s = connect(port);
                (roundTrip(s, 'x', 1_000) ? served : waiting).add(s);
            }
            assertThat(waiting).as("clients left waiting").hasSize(WAITING);
            assertThat(served.size()).as("clients served").isBetween(3, SPARE_DESCRIPTORS / 2 + 2);
            niolb.awaitOut("accept failed: Too many open files", Duration.ofSeconds(5));

            final double cores = cpuOverTwoSeconds(niolb.pid());
            assertThat(cores).as("CPU (cores) while clients wait and accept fails").isLessThan(0.25);
            niolb.awaitOut("check not made: too many open files", Duration.ofSeconds(5));
            assertThat(niolb.out()).as("the server stays UP").noneMatch(line -> line.contains(" DOWN"));

            for (final Socket s : served) {
                assertThat(roundTrip(s, 'y', 5_000)).as("an established session still relays").isTrue();
            }
            for (int i = 0; i < WAITING; i++) {
                served.removeFirst().close();
            }
            for (final Socket s : waiting) {
                s.setSoTimeout(10_000);
                assertThat(s.getInputStream().read()).as("a waiting client, served").isEqualTo('x');
            }
            assertThat(niolb.isAlive()).isTrue();

            closeAll(served);
            closeAll(waiting);
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(Duration.ofSeconds(20))).isZero();
            assertThat(niolb.out()).noneMatch(line -> line.contains("Exception") || line.startsWith("\tat "));
        } finally {
            closeAll(served);
            closeAll(waiting);
        }
    }

    /**
     * Started under an open-file limit of 512 with no {@code maxconn}: niolb caps its sessions at what the limit
     * leaves room for, so that clients beyond it wait in the backlog while descriptors are left for the health
     * checks and the admin API, and accept never fails.
     */
    @Test
    void withoutAMaxconnNiolbStopsAcceptingWhereItsOpenFileLimitWouldAndKeepsDescriptorsForChecksAndAdmin()
        throws Exception {
        assumeTrue(new File("/proc/self/fd").isDirectory(), "needs Linux /proc");
        assumeTrue(onPath("prlimit"), "needs prlimit(1) (util-linux) to start the child under a lower limit");
        final List<Socket> served = new ArrayList<>();
        final List<Socket> waiting = new ArrayList<>();
        try (EchoServer echo = new EchoServer();
             NiolbProcess niolb = NiolbProcess.start(List.of("prlimit", "--nofile=512:512", "--"), "run",
                 "--listen", "127.0.0.1:0", "--threads", "2",
                 "--server", echo.address().getHostString() + ":" + echo.address().getPort(),
                 "--check", "tcp", "--check-interval", "100ms", "--fall", "2", "--admin", "127.0.0.1:0")) {
            final int maxconn = Integer.parseInt(niolb.awaitOut(
                "maxconn (\\d+): what the open-file limit of 512 leaves room for", Duration.ofSeconds(20)).group(1));
            assertThat(maxconn).as("two descriptors a session, 256 and those open at start kept back")
                .isBetween(16, (512 - 256) / 2);
            final int admin = Integer.parseInt(niolb.awaitOut(
                "admin API and stats page on http://127\\.0\\.0\\.1:(\\d+)/", Duration.ofSeconds(20)).group(1));
            final int port = niolb.awaitListeningPort();
            for (int i = 0; i < maxconn; i++) {
                final Socket s = connect(port);
                served.add(s);
                assertThat(roundTrip(s, 'x', 5_000)).as("client %d of %d served", i, maxconn).isTrue();
            }
            for (int i = 0; i < WAITING; i++) {
                final Socket s = connect(port); // taken into the backlog by the kernel
                waiting.add(s);
                assertThat(roundTrip(s, 'x', 1_000)).as("a client past maxconn waits").isFalse();
            }
            final String stats = adminBody(admin);
            assertThat(stats).contains("\"maxconn\":" + maxconn).containsPattern("\"maxconn_pauses\":[1-9]");
            final long checksBefore = checksPassed(stats);
            Await.until(() -> checksPassed(adminBody(admin)) >= checksBefore + 2, 10_000);

            for (int i = 0; i < WAITING; i++) {
                served.removeFirst().close();
            }
            for (final Socket s : waiting) {
                s.setSoTimeout(10_000);
                assertThat(s.getInputStream().read()).as("a waiting client, served").isEqualTo('x');
            }
            assertThat(niolb.out()).as("accept never failed, no check went without a socket")
                .noneMatch(line -> line.contains("Too many open files") || line.contains("too many open files"));
            assertThat(niolb.out()).noneMatch(line -> line.contains(" DOWN"));

            closeAll(served);
            closeAll(waiting);
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(Duration.ofSeconds(20))).isZero();
        } finally {
            closeAll(served);
            closeAll(waiting);
        }
    }

    @Test
    void anOpenFileLimitWithNoRoomForSessionsIsWarnedOfAtStart() throws Exception {
        assumeTrue(onPath("prlimit"), "needs prlimit(1) (util-linux) to start the child under a lower limit");
        try (EchoServer echo = new EchoServer();
             NiolbProcess niolb = NiolbProcess.start(List.of("prlimit", "--nofile=96:96", "--"), "run",
                 "--listen", "127.0.0.1:0", "--threads", "2",
                 "--server", echo.address().getHostString() + ":" + echo.address().getPort())) {
            niolb.awaitOut("maxconn 16: the open-file limit of 96 leaves no room for sessions after the \\d+ "
                + "descriptors open and 256 kept back; raise it", Duration.ofSeconds(20));
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(Duration.ofSeconds(20))).isZero();
        }
    }

    @Test
    void theMaxconnFromTheLimitLeavesTheUdpListenersTheirFlowsAndTooManyCapsAreWarnedOf() throws Exception {
        assumeTrue(onPath("prlimit"), "needs prlimit(1) (util-linux) to start the child under a lower limit");
        try (EchoServer echo = new EchoServer();
             NiolbProcess one = NiolbProcess.start(List.of("prlimit", "--nofile=1024:1024", "--"), "run",
                 "--listen", "127.0.0.1:0", "--listen", "udp://127.0.0.1:0", "--threads", "2",
                 "--server", echo.address().getHostString() + ":" + echo.address().getPort())) {
            // udp-max-flows by default: half of 1024 less 256
            one.awaitOut("maxconn \\d+: what the open-file limit of 1024 leaves room for \\(\\d+ open, 384 for UDP "
                + "flows, 256 kept back", Duration.ofSeconds(20));
            one.awaitListeningPort();
            one.signal("TERM");
            assertThat(one.awaitExit(Duration.ofSeconds(20))).isZero();
            assertThat(one.out()).as("sized to fit: nothing to warn of").noneMatch(l -> l.contains("need"));
        }
        try (EchoServer echo = new EchoServer();
             NiolbProcess two = NiolbProcess.start(List.of("prlimit", "--nofile=1024:1024", "--"), "run",
                 "--listen", "127.0.0.1:0", "--listen", "udp://127.0.0.1:0", "--listen", "udp://127.0.0.2:0",
                 "--threads", "2", "--server", echo.address().getHostString() + ":" + echo.address().getPort())) {
            // two UDP listeners at the default share its half of the limit: TCP keeps the other half (it was left
            // 16, session 27), and a config of defaults is not warned to lower them (session 28)
            final int maxconn = Integer.parseInt(two.awaitOut("maxconn (\\d+): what the open-file limit of 1024 "
                + "leaves room for \\(\\d+ open, 384 for UDP flows, 256 kept back", Duration.ofSeconds(20)).group(1));
            assertThat(maxconn).isGreaterThan(100);
            two.awaitListeningPort();
            two.signal("TERM");
            assertThat(two.awaitExit(Duration.ofSeconds(20))).isZero();
            assertThat(two.out()).as("defaults that fit: nothing to warn of").noneMatch(l -> l.contains("need"));
        }
        try (EchoServer echo = new EchoServer();
             NiolbProcess udpOnly = NiolbProcess.start(List.of("prlimit", "--nofile=1024:1024", "--"), "run",
                 "--listen", "udp://127.0.0.1:0", "--listen", "udp://127.0.0.2:0", "--threads", "2",
                 "--udp-max-flows", "400",
                 "--server", echo.address().getHostString() + ":" + echo.address().getPort())) {
            // caps set by hand that together need more than the limit are warned of; no TCP listener: maxconn holds
            // no descriptor, so neither warning speaks of sessions (session 26: one said there was no room for
            // sessions, the next said maxconn none, /api/stats said 16)
            udpOnly.awaitOut("WARN .*udp-max-flows of 800 on 2 UDP listeners \\(1 a flow\\) need \\d+ descriptors",
                Duration.ofSeconds(20));
            udpOnly.signal("TERM");
            assertThat(udpOnly.awaitExit(Duration.ofSeconds(20))).isZero();
            assertThat(udpOnly.out()).filteredOn(l -> l.contains("WARN")).noneMatch(l -> l.contains("maxconn"));
        }
    }

    /**
     * 300 servers with a TCP check and an agent check: their checks may hold 600 sockets at once (servers that hang
     * hold each until its timeout), which the derived maxconn leaves them; it left them only the 256 kept back.
     */
    @Test
    void theMaxconnFromTheLimitLeavesEveryServersChecksTheirSockets() throws Exception {
        assumeTrue(onPath("prlimit"), "needs prlimit(1) (util-linux) to start the child under a lower limit");
        final List<String> args = new ArrayList<>(List.of("run", "--listen", "127.0.0.1:0", "--threads", "1",
            "--check", "tcp", "--check", "agent:9", "--check-interval", "30s", "--admin", "none"));
        for (int i = 1; i <= 300; i++) {
            args.addAll(List.of("--server", "127.0.9." + (i % 250 + 1) + ":" + (1000 + i)));
        }
        try (NiolbProcess niolb = NiolbProcess.start(List.of("prlimit", "--nofile=2048:2048", "--"),
                 args.toArray(String[]::new))) {
            final java.util.regex.Matcher line = niolb.awaitOut("maxconn (\\d+): what the open-file limit of 2048 "
                + "leaves room for \\((\\d+) open, 600 for health checks, 256 kept back", Duration.ofSeconds(30));
            final int open = Integer.parseInt(line.group(2));
            assertThat(Integer.parseInt(line.group(1))).as("two descriptors a session after the checks' 600")
                .isEqualTo((2048 - open - 600 - 256) / 2);
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(Duration.ofSeconds(20))).isZero();
        }
    }

    /** The server's checks passed, from a body of /api/stats. */
    private static long checksPassed(final String stats) {
        final java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"checks_passed\":(\\d+)").matcher(stats);
        assertThat(m.find()).as("checks_passed in " + stats).isTrue();
        return Long.parseLong(m.group(1));
    }

    /**
     * Slow admin clients (a request line and half a header, then nothing) far past the admin API's cap of 64
     * connections, under an open-file limit with room for that cap and a few sessions: the data path still
     * accepts and relays, and a GET on the admin API is still answered.
     */
    @Test
    void slowAdminClientsCannotTakeTheDescriptorsTheDataPathNeeds() throws Exception {
        assumeTrue(new File("/proc/self/fd").isDirectory(), "needs Linux /proc");
        assumeTrue(onPath("prlimit"), "needs prlimit(1) (util-linux) to lower the child's open-file limit");
        final List<Socket> slow = new ArrayList<>();
        final List<Socket> clients = new ArrayList<>();
        try (EchoServer echo = new EchoServer();
             NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--threads", "2",
                 "--server", echo.address().getHostString() + ":" + echo.address().getPort(),
                 "--admin", "127.0.0.1:0")) {
            final int admin = Integer.parseInt(niolb.awaitOut(
                "admin API and stats page on http://127\\.0\\.0\\.1:(\\d+)/", Duration.ofSeconds(20)).group(1));
            final int port = niolb.awaitListeningPort();
            try (Socket warmUp = connect(port)) {
                assertThat(roundTrip(warmUp, 'w', 5_000)).isTrue();
            }
            assertThat(adminGet(admin)).isEqualTo(200);
            lowerOpenFileLimit(niolb.pid(), openDescriptors(niolb.pid()) + 64 + 20);

            for (int i = 0; i < 300; i++) {
                final Socket s = new Socket();
                slow.add(s);
                try {
                    s.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), admin), 1_000);
                    s.getOutputStream().write("GET /api/stats HTTP/1.1\r\nHost: 127".getBytes(StandardCharsets.US_ASCII));
                } catch (final IOException e) {
                    break; // the admin port's backlog is full: as slow as a client can make it
                }
            }
            for (int i = 0; i < 5; i++) {
                final Socket s = connect(port);
                clients.add(s);
                assertThat(roundTrip(s, 'x', 5_000)).as("client %d served", i).isTrue();
            }
            assertThat(adminGet(admin)).isEqualTo(200);
            assertThat(niolb.out()).noneMatch(line -> line.contains("Too many open files"));

            closeAll(slow);
            closeAll(clients);
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(Duration.ofSeconds(20))).isZero();
        } finally {
            closeAll(slow);
            closeAll(clients);
        }
    }

    /** The body of a GET of /api/stats on the admin port. */
    private static String adminBody(final int admin) throws Exception {
        return statsGet(admin, java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The status of a GET of /api/stats on the admin port. */
    private static int adminGet(final int admin) throws Exception {
        return statsGet(admin, java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static <T> java.net.http.HttpResponse<T> statsGet(final int admin,
                                                              final java.net.http.HttpResponse.BodyHandler<T> body)
        throws Exception {
        final java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5)).build();
        return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + admin
            + "/api/stats")).timeout(Duration.ofSeconds(10)).build(), body);
    }

    private static Socket connect(final int port) throws IOException {
        final Socket s = new Socket();
        s.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2_000);
        return s;
    }

    /** Writes one byte; true when it comes back within {@code ms}. */
    private static boolean roundTrip(final Socket s, final char c, final int ms) throws IOException {
        s.getOutputStream().write(c);
        s.setSoTimeout(ms);
        try {
            return s.getInputStream().read() == c;
        } catch (final SocketTimeoutException e) {
            return false;
        }
    }

    private static int openDescriptors(final long pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return (int) fds.count();
        }
    }

    private static void lowerOpenFileLimit(final long pid, final int limit) throws Exception {
        final Process p = new ProcessBuilder("prlimit", "--pid", Long.toString(pid), "--nofile=" + limit + ":" + limit)
            .redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("prlimit: " + out).isZero();
    }

    /** CPU time (user + system) the process used over two seconds of wall time, in cores. */
    private static double cpuOverTwoSeconds(final long pid) throws Exception {
        final long before = cpuTicks(pid);
        final long start = System.nanoTime();
        Thread.sleep(2_000);
        final long ticks = cpuTicks(pid) - before;
        final double seconds = (System.nanoTime() - start) / 1e9;
        return ticks / (double) clockTicksPerSecond() / seconds;
    }

    /** utime + stime from /proc/PID/stat (fields 14 and 15), in clock ticks. */
    private static long cpuTicks(final long pid) throws IOException {
        final String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // fields counted from the state (field 3)
    }

    private static long clockTicksPerSecond() throws Exception {
        final Process p = new ProcessBuilder("getconf", "CLK_TCK").start();
        final String out = new String(p.getInputStream().readAllBytes()).strip();
        return p.waitFor() == 0 && !out.isEmpty() ? Long.parseLong(out) : 100;
    }

    private static boolean onPath(final String tool) {
        for (final String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            if (new File(dir, tool).canExecute()) {
                return true;
            }
        }
        return new File("/usr/bin/" + tool).canExecute();
    }

    private static void closeAll(final List<Socket> sockets) {
        for (final Socket s : sockets) {
            try {
                s.close();
            } catch (final IOException ignored) {
                // closing on the way out
            }
        }
    }
}
