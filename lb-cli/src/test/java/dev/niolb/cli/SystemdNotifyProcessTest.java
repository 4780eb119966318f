package dev.niolb.cli;

import dev.niolb.cli.log.UnixDatagramSocket;
import dev.niolb.testing.EchoServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code niolb run} as systemd's {@code Type=notify} sees it: a real process with {@code $NOTIFY_SOCKET} naming a
 * Unix datagram socket of this test, which reads what a service manager would.
 */
@Timeout(90)
class SystemdNotifyProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private static String config(final EchoServer server, final int threads) {
        return """
            defaults:
              threads: %d
              grace: 1s
            listeners:
              - bind: 127.0.0.1:0
            groups:
              - name: web
                servers: [%s]
            """.formatted(threads, RunProcessTest.hostPort(server));
    }

    @Test
    void onNioSocketsHandedOverFromTheStoreAreClosedInSystemdTooBeforeNiolbBindsItsOwn(@TempDir final Path dir)
        throws Exception {
        // a stand-in for systemd: it holds a stored listening socket on the port, hands it over, and closes its
        // copy on FDSTOREREMOVE, as a restart after the config turned to transport: nio meets it
        final int port = dev.niolb.testing.Ports.freeForTcpAndUdp();
        try (EchoServer echo = new EchoServer("hi");
             NiolbProcess niolb = NiolbProcess.start(underStandIn(port, dir), "run", "--listen", "127.0.0.1:" + port,
                 "--transport", "nio", "--server", RunProcessTest.hostPort(echo), "--admin", "none", "--grace", "1s")) {
            niolb.awaitOut("NOTIFY FDSTOREREMOVE=1 \\| FDNAME=niolb-listeners", WAIT);
            niolb.awaitOut("listening on tcp://127\\.0\\.0\\.1:" + port, WAIT);
            niolb.awaitOut("WARN .*the nio transport cannot hand its listening sockets to systemd's store \\(FDSTORE\\): a "
                + "restart refuses clients", WAIT);
            greetedHi(port, 1);
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(WAIT)).isZero();
        }
    }

    @Test
    void aSocketUnitsSocketOfAnotherUserIsWatchedByEveryLoopSinceNoneOfNiolbsCanJoinIt(@TempDir final Path dir)
        throws Exception {
        // systemd makes a socket unit's sockets as root and niolb.service runs as a user of its own (DynamicUser):
        // the kernel puts no socket of niolb's in their SO_REUSEPORT group, and every start with two threads or
        // more failed as "address already in use" (black-box testing, session 22). The stand-in makes its socket
        // as another user the same way
        assumeTrue("root".equals(System.getProperty("user.name")), "making a socket as another user takes root");
        final int port = dev.niolb.testing.Ports.freeForTcpAndUdp();
        try (EchoServer echo = new EchoServer("hi");
             NiolbProcess niolb = NiolbProcess.start(underStandIn(port, dir, "SOCKET_UID=65534"), "run", "--listen",
                 "127.0.0.1:" + port, "--transport", "epoll", "--threads", "2", "--server",
                 RunProcessTest.hostPort(echo), "--admin", "none", "--grace", "1s")) {
            niolb.awaitOut("the listening sockets handed over for 127\\.0\\.0\\.1:" + port
                + " belong to another user .* every loop watches them", WAIT);
            greetedHi(port, 20);
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(WAIT)).isZero();
        }
    }

    @Test
    void aSocketUnitsSocketOnAnAddressNoListenerHasIsNamedWhenItKeepsAListenerFromItsPort(@TempDir final Path dir)
        throws Exception {
        // the shipped niolb.socket said 127.0.0.1:8080 where the shipped config listens on 0.0.0.0:8080: systemd
        // keeps its socket, the wildcard cannot bind beside it, and niolb said only "address already in use"
        final int port = dev.niolb.testing.Ports.freeForTcpAndUdp();
        try (EchoServer echo = new EchoServer("hi");
             NiolbProcess niolb = NiolbProcess.start(underStandIn(port, dir, "SOCKET_UNIT=1"), "run", "--listen",
                 "0.0.0.0:" + port, "--transport", "epoll", "--server", RunProcessTest.hostPort(echo), "--admin",
                 "none")) {
            assertThat(niolb.awaitExit(WAIT)).as("EX_CONFIG: a restart cannot mend it").isEqualTo(78);
            assertThat(niolb.err()).anyMatch(l -> l.startsWith("niolb: cannot listen on tcp://0.0.0.0:" + port
                + ": systemd still holds tcp://127.0.0.1:" + port + ", handed over for no listener of this config"));
        }
    }

    @Test
    void aSocketUnitsSocketOnTheNioTransportIsRefusedInOneLineNotClosedUnderTheClientThatActivatedIt(
        @TempDir final Path dir) throws Exception {
        // NIO closed it and bound its own: the client waiting in its backlog was reset (black-box testing, session 29)
        final int port = dev.niolb.testing.Ports.freeForTcpAndUdp();
        try (EchoServer echo = new EchoServer("hi");
             NiolbProcess niolb = NiolbProcess.start(underStandIn(port, dir, "SOCKET_UNIT=1"), "run", "--listen",
                 "127.0.0.1:" + port, "--transport", "nio", "--server", RunProcessTest.hostPort(echo), "--admin",
                 "none")) {
            assertThat(niolb.awaitExit(WAIT)).as("EX_CONFIG: a restart cannot mend it").isEqualTo(78);
            assertThat(niolb.err()).containsExactly("niolb: socket activation needs the epoll transport: the nio "
                + "transport cannot adopt the listening socket a socket unit handed over; drop --transport nio");
        }
    }

    @Test
    void aSocketUnitsSocketNoListenerHasIsWarnedOfSinceItsClientsWouldWaitForEver(@TempDir final Path dir)
        throws Exception {
        // systemd keeps it open whatever niolb closes: its port took clients nobody served, with one INFO line
        final int unused = dev.niolb.testing.Ports.freeForTcpAndUdp();
        try (EchoServer echo = new EchoServer("hi");
             NiolbProcess niolb = NiolbProcess.start(underStandIn(unused, dir, "SOCKET_UNIT=1"), "run", "--listen",
                 "127.0.0.1:0", "--transport", "epoll", "--server", RunProcessTest.hostPort(echo), "--admin", "none",
                 "--grace", "1s")) {
            niolb.awaitOut("WARN .*systemd still holds tcp://127\\.0\\.0\\.1:" + unused + ", handed over for no listener"
                + " of this config .* its clients connect and are never served", WAIT);
            greetedHi(niolb.awaitListeningPort(), 1);
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(WAIT)).isZero();
        }
    }

    @Test
    void readyAfterListeningReloadingThenReadyAroundAReloadAndStoppingOnSigterm(@TempDir final Path dir)
        throws Exception {
        final Path socketPath = dir.resolve("notify");
        try (UnixDatagramSocket manager = UnixDatagramSocket.bind(socketPath);
             EchoServer echo = new EchoServer("hi")) {
            final Path file = Files.writeString(dir.resolve("niolb.yaml"), config(echo, 1));
            try (NiolbProcess niolb = NiolbProcess.start(List.of("env", "NOTIFY_SOCKET=" + socketPath),
                "run", "--config", file.toString())) {
                final String ready = receive(manager, niolb, "READY=1\nSTATUS=(.*)");
                assertThat(niolb.out()).as("READY=1 once listening").anyMatch(l -> l.contains("listening on tcp://"));
                assertThat(ready).isEqualTo("READY=1\nSTATUS=0 sessions; group web 1/1 servers take sessions; "
                    + "1 listener; reloads 0 applied, 0 refused");

                Files.writeString(file, "listeners: [nonsense");
                final long before = System.nanoTime() / 1000;
                niolb.signal("HUP");
                final Matcher reloading = Pattern.compile("RELOADING=1\nMONOTONIC_USEC=(\\d+)\nSTATUS=reloading .*")
                    .matcher(receive(manager, niolb, "RELOADING=1\n.*"));
                assertThat(reloading.matches()).as(reloading.toString()).isTrue();
                // CLOCK_MONOTONIC, which System.nanoTime reads on Linux: not the wall clock
                assertThat(Long.parseLong(reloading.group(1))).isBetween(before, System.nanoTime() / 1000);
                assertThat(receive(manager, niolb, "READY=1\n.*")).as("READY=1 after a refused reload too")
                    .endsWith("; reloads 0 applied, 1 refused");

                niolb.signal("TERM");
                assertThat(receive(manager, niolb, "STOPPING=1\n.*")).startsWith("STOPPING=1\nSTATUS=stopping (SIGTERM)");
                assertThat(niolb.awaitExit(WAIT)).isZero();
            }
        }
    }

    @Test
    void onAnAbstractNotifySocketItStoresItsListeningSocketsAndPingsTheWatchdogMeantForItsPid(@TempDir final Path dir) throws Exception {
        final String abstractName = "@niolb-test-" + UUID.randomUUID();
        try (UnixDatagramSocket manager = UnixDatagramSocket.bind(abstractName);
             EchoServer echo = new EchoServer("hi")) {
            final Path file = Files.writeString(dir.resolve("niolb.yaml"), config(echo, 2));
            // WATCHDOG_PID is set by systemd for the main process; "env" execs java, which keeps env's pid
            try (NiolbProcess niolb = NiolbProcess.start(List.of("sh", "-c",
                "exec env NOTIFY_SOCKET=" + abstractName + " WATCHDOG_USEC=400000 WATCHDOG_PID=$$ \"$0\" \"$@\""),
                "run", "--config", file.toString())) {
                // the two loops' sockets go to systemd's store (the descriptors ride along; here they are dropped)
                assertThat(receive(manager, niolb, "FDSTORE.*")).isEqualTo("FDSTOREREMOVE=1\nFDNAME=niolb-listeners");
                assertThat(receive(manager, niolb, "FDSTORE.*")).isEqualTo("FDSTORE=1\nFDNAME=niolb-listeners");
                receive(manager, niolb, "READY=1\n.*");

                assertThat(receive(manager, niolb, "WATCHDOG=1")).isEqualTo("WATCHDOG=1");
                assertThat(receive(manager, niolb, "WATCHDOG=1")).as("and again").isEqualTo("WATCHDOG=1");
                niolb.signal("TERM");
                assertThat(niolb.awaitExit(WAIT)).isZero();
            }
        }
    }

    @Test
    void onceStoppingTheStatusSaysSoAndASighupIsIgnoredWithoutReadyOrAStackTrace(@TempDir final Path dir)
        throws Exception {
        final Path socketPath = dir.resolve("notify");
        try (UnixDatagramSocket manager = UnixDatagramSocket.bind(socketPath);
             EchoServer echo = new EchoServer("hi")) {
            final Path file = Files.writeString(dir.resolve("niolb.yaml"),
                config(echo, 1).replace("  grace: 1s\n", "  grace: 1s\n  shutdown-delay: 2s\n"));
            try (NiolbProcess niolb = NiolbProcess.start(List.of("sh", "-c",
                "exec env NOTIFY_SOCKET=" + socketPath + " WATCHDOG_USEC=400000 WATCHDOG_PID=$$ \"$0\" \"$@\""),
                "run", "--config", file.toString())) {
                receive(manager, niolb, "READY=1\n.*");
                niolb.signal("TERM");
                receive(manager, niolb, "STOPPING=1\n.*");
                niolb.signal("HUP"); // logrotate's habit, during the shutdown delay
                niolb.awaitOut("SIGHUP ignored: niolb is stopping", WAIT);
                // the watchdog's next status line (every 200 ms) still says what is going on
                assertThat(receive(manager, niolb, "STATUS=.*")).startsWith("STATUS=stopping (SIGTERM): ");
                assertThat(niolb.awaitExit(WAIT)).isZero();
                final List<String> after = new ArrayList<>();
                for (byte[] d; (d = manager.receive(65_536, 100)) != null; ) {
                    after.add(new String(d, StandardCharsets.UTF_8));
                }
                assertThat(after).noneMatch(d -> d.startsWith("READY=1") || d.startsWith("RELOADING=1"));
                assertThat(niolb.err()).noneMatch(line -> line.contains("Exception"));
            }
        }
    }

    @Test
    void onAStopWithItsSocketsInTheStoreUdpDatagramsWaitThereForTheSuccessorAndFlowsDoNotHoldTheGrace(
        @TempDir final Path dir) throws Exception {
        // the stand-in keeps its copy of the UDP socket, as systemd's store does through a restart, and prints what
        // is still queued in it once niolb has exited: what the next niolb would read
        final int port = dev.niolb.testing.Ports.freeForTcpAndUdp();
        try (java.net.DatagramSocket ticking = new java.net.DatagramSocket(
                 new java.net.InetSocketAddress("127.0.0.1", 0));
             NiolbProcess niolb = NiolbProcess.start(underStandIn(port, dir, "SOCKET_UNIT=1", "SOCKET_UDP=1"), "run",
                 "--listen", "udp://127.0.0.1:" + port, "--server", "127.0.0.1:" + ticking.getLocalPort(),
                 "--admin", "none", "--grace", "50s", "--threads", "1"); // one socket: the one the stand-in keeps
             dev.niolb.testing.UdpClient before = new dev.niolb.testing.UdpClient(
                 new java.net.InetSocketAddress("127.0.0.1", port));
             dev.niolb.testing.UdpClient after = new dev.niolb.testing.UdpClient(
                 new java.net.InetSocketAddress("127.0.0.1", port))) {
            // a server that answers a datagram with a tick every 100 ms for 5 s: a flow busy through the stop's start
            final Thread server = Thread.ofVirtual().start(() -> {
                try {
                    final java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[64], 64);
                    ticking.receive(p);
                    for (int i = 0; i < 50; i++) {
                        ticking.send(new java.net.DatagramPacket("tick".getBytes(StandardCharsets.UTF_8), 4,
                            p.getSocketAddress()));
                        Thread.sleep(100); // the server's pace, not a wait of the test's
                    }
                } catch (final Exception e) {
                    // closed at the end of the test
                }
            });
            niolb.awaitOut("NOTIFY FDSTORE=1 \\| FDNAME=niolb-listeners", WAIT);
            assertThat(before.ask("one")).isEqualTo("tick");

            niolb.signal("TERM");
            niolb.awaitOut("stopping: 1 session, grace 50s \\(SIGTERM\\)", WAIT);
            after.send("two"); // a new client while the old niolb stops, its flow still busy

            niolb.awaitOut("^QUEUED two$", WAIT);
            assertThat(niolb.awaitExit(WAIT)).isZero();
            assertThat(niolb.out()).as("the flow ended by itself, a second after its server went quiet")
                .anyMatch(l -> l.endsWith(" stopped")).noneMatch(l -> l.contains("sessions still open"));
            server.join();
        }
    }

    @Test
    void socketsTheNotifySocketDidNotTakeAreNotSaidToBeKept(@TempDir final Path dir) throws Exception {
        try (EchoServer echo = new EchoServer("hi");
             NiolbProcess niolb = NiolbProcess.start(List.of("env", "NOTIFY_SOCKET=" + dir.resolve("nobody")),
                 "run", "--listen", "127.0.0.1:0", "--server", RunProcessTest.hostPort(echo), "--admin", "none")) {
            niolb.awaitOut("cannot tell systemd about niolb's state", WAIT);
            niolb.awaitOut("listening on tcp://", WAIT);
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(WAIT)).isZero();
            assertThat(niolb.out()).noneMatch(l -> l.contains("systemd keeps"));
        }
    }

    /** The first datagram matching {@code regex} (DOTALL), waiting up to {@link #WAIT}. */
    private static String receive(final UnixDatagramSocket socket, final NiolbProcess niolb, final String regex)
        throws Exception {
        final Pattern pattern = Pattern.compile(regex, Pattern.DOTALL);
        final long deadline = System.nanoTime() + WAIT.toNanos();
        final List<String> seen = new ArrayList<>();
        while (System.nanoTime() - deadline < 0) {
            final byte[] d = socket.receive(65_536, 500);
            if (d == null) {
                continue;
            }
            final String text = new String(d, StandardCharsets.UTF_8);
            if (pattern.matcher(text).matches()) {
                return text;
            }
            seen.add(text);
        }
        throw new AssertionError("no datagram matching /" + regex + "/; received " + seen + "\n" + niolb);
    }

    /**
     * The command that runs niolb under {@code fd-store-stand-in.py}, a stand-in for systemd holding a listening
     * socket on {@code port}, with {@code env} ({@code NAME=VALUE}) for the stand-in.
     */
    private static List<String> underStandIn(final int port, final Path dir, final String... env) throws Exception {
        final Path standIn = Path.of(SystemdNotifyProcessTest.class.getResource("/fd-store-stand-in.py").toURI());
        final List<String> command = new java.util.ArrayList<>(List.of("env"));
        command.addAll(List.of(env));
        command.addAll(List.of("python3", standIn.toString(), String.valueOf(port), dir.resolve("notify").toString()));
        return command;
    }

    /** {@code clients} connections to {@code port} one after another, each greeted by the echo server's "hi". */
    private static void greetedHi(final int port, final int clients) throws java.io.IOException {
        for (int i = 0; i < clients; i++) {
            try (java.net.Socket client = new java.net.Socket("127.0.0.1", port)) {
                client.setSoTimeout(10_000);
                assertThat(RunProcessTest.readLine(client)).isEqualTo("hi");
            }
        }
    }
}
