package dev.niolb.cli;

import dev.niolb.testing.EchoServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code niolb run --takeover}: a restart without systemd that refuses nobody, with real processes. The new niolb
 * takes the old one's listening sockets over its {@code --control-socket}; the old one stops accepting and its
 * sessions finish.
 */
@Timeout(120)
class TakeoverProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    /** A free port below the ephemeral range: a takeover is by address, so the port is fixed, not 0. */
    private static int freeFixedPort() throws IOException {
        for (int attempt = 0; attempt < 100; attempt++) {
            final int port = ThreadLocalRandom.current().nextInt(20_000, 32_000);
            try (ServerSocket probe = new ServerSocket()) {
                probe.bind(new InetSocketAddress("127.0.0.1", port));
                return port;
            } catch (final IOException taken) {
                // another one
            }
        }
        throw new IOException("no free port in 20000..32000");
    }

    private static String[] run(final int port, final EchoServer echo, final Path control, final String... more) {
        final List<String> args = new ArrayList<>(List.of("run", "--listen", "127.0.0.1:" + port, "--threads", "2",
            "--server", RunProcessTest.hostPort(echo), "--admin", "none", "--grace", "20s",
            "--control-socket", control.toString()));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    @Test
    void aNewNiolbTakesTheSocketsOverRefusingNobodyAndTheOldOnesSessionFinishes(@TempDir final Path dir)
        throws Exception {
        final int port = freeFixedPort();
        final Path control = dir.resolve("niolb.sock");
        try (EchoServer echo = new EchoServer("hi");
             NiolbProcess old = NiolbProcess.start(run(port, echo, control))) {
            old.awaitOut("control socket " + control, WAIT);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(control))).isEqualTo("rw-------");
            final Socket longSession = new Socket(InetAddress.getLoopbackAddress(), port);
            longSession.setSoTimeout(10_000);
            assertThat(RunProcessTest.readLine(longSession)).isEqualTo("hi");

            final AtomicInteger served = new AtomicInteger();
            final List<String> failures = Collections.synchronizedList(new ArrayList<>());
            final AtomicBoolean going = new AtomicBoolean(true);
            final Thread clients = Thread.ofPlatform().name("clients").start(() -> {
                while (going.get()) {
                    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                        s.setSoTimeout(10_000);
                        if ("hi".equals(RunProcessTest.readLine(s))) {
                            served.incrementAndGet();
                        } else {
                            failures.add("no greeting");
                        }
                    } catch (final IOException | RuntimeException e) {
                        failures.add(e.toString());
                    }
                }
            });
            try (NiolbProcess successor = NiolbProcess.start(run(port, echo, control, "--takeover",
                control.toString()))) {
                try {
                    successor.awaitOut("adopted 2 listening sockets from before the restart.*", WAIT);
                    old.awaitOut(".*niolb pid " + successor.pid() + " serves on the listening sockets now.*", WAIT);
                    old.awaitOut("stopping: \\d+ sessions?, grace 20s \\(taken over\\)", WAIT); // ours and some of the stream
                    final int atStop = served.get();

                    // the old niolb's session still relays, and ends when its client is done
                    final OutputStream out = longSession.getOutputStream();
                    out.write("still here\n".getBytes(StandardCharsets.US_ASCII));
                    assertThat(RunProcessTest.readLine(longSession)).isEqualTo("still here");
                    longSession.close();
                    assertThat(old.awaitExit(WAIT)).isZero();

                    final long deadline = System.nanoTime() + WAIT.toNanos();
                    while (served.get() < atStop + 50 && System.nanoTime() < deadline) {
                        Thread.sleep(10); // the stream goes on, through the successor alone now
                    }
                    assertThat(served.get()).isGreaterThanOrEqualTo(atStop + 50);
                } finally {
                    going.set(false);
                    clients.join();
                }
                assertThat(failures).as("refused or reset during the takeover").isEmpty();
                assertThat(control).as("the successor's control socket, for the next takeover").exists();
                successor.signal("TERM");
                assertThat(successor.awaitExit(WAIT)).isZero();
                assertThat(control).as("removed by the niolb that made it").doesNotExist();
            }
        }
    }

    @Test
    void aSuccessorStartsWithTheServersTheOldNiolbHeldDown(@TempDir final Path dir) throws Exception {
        final int port = freeFixedPort();
        final int closed = freeFixedPort(); // nothing listens there: refused
        final Path control = dir.resolve("niolb.sock");
        try (EchoServer echo = new EchoServer("hi");
             NiolbProcess old = NiolbProcess.start(run(port, echo, control, "--server", "127.0.0.1:" + closed,
                 "--check", "tcp", "--check-interval", "200ms", "--fall", "1"))) {
            old.awaitOut("server default/127\\.0\\.0\\.1:" + closed + " DOWN.*", WAIT);
            try (NiolbProcess successor = NiolbProcess.start(run(port, echo, control, "--server",
                "127.0.0.1:" + closed, "--check", "tcp", "--check-interval", "30s", "--fall", "1", "--takeover",
                control.toString()))) {
                // before it listens: no client of it goes to a server known to be failing (session 34)
                successor.awaitOut("server default/127\\.0\\.0\\.1:" + closed + " DOWN: the niolb taken over had it "
                    + "DOWN.*", WAIT);
                successor.awaitOut("takeover: 1 server DOWN and 0 agents' last words carried over.*", WAIT);
                old.awaitOut(".*told niolb pid " + successor.pid() + " of 1 servers' health.*", WAIT);
                assertThat(old.awaitExit(WAIT)).isZero();
                successor.signal("TERM");
                assertThat(successor.awaitExit(WAIT)).isZero();
            }
        }
    }

    @Test
    void aSuccessorThatDropsAListenerSaysHowManySocketsItAdoptedWithoutTheOnesItClosed(@TempDir final Path dir)
        throws Exception {
        final int port = freeFixedPort();
        final int dropped = freeFixedPort();
        final Path control = dir.resolve("niolb.sock");
        try (EchoServer echo = new EchoServer("hi");
             NiolbProcess old = NiolbProcess.start(run(port, echo, control, "--listen", "127.0.0.1:" + dropped))) {
            old.awaitOut("control socket " + control, WAIT);
            try (NiolbProcess successor = NiolbProcess.start(run(port, echo, control, "--takeover",
                control.toString()))) {
                // two loops: two sockets per address, those of the dropped one closed before the start
                successor.awaitOut("closed 2 listening sockets handed over that this config does not use.*", WAIT);
                successor.awaitOut("adopted 2 listening sockets from before the restart.*", WAIT);
                assertThat(old.awaitExit(WAIT)).isZero();
                successor.signal("TERM");
                assertThat(successor.awaitExit(WAIT)).isZero();
                // the old niolb holds the dropped sockets until it stops: no socket unit to blame, nothing to await
                assertThat(successor.out()).noneMatch(line -> line.contains("systemd"));
            }
        }
    }

    @Test
    void moreListeningSocketsThanOneMessageCarriesAreHandedOverInBatches(@TempDir final Path dir) throws Exception {
        final Path control = dir.resolve("niolb.sock");
        final java.util.Set<Integer> ports = new java.util.LinkedHashSet<>();
        while (ports.size() < 130) { // 260 sockets on two loops: more than one message's 253 (SCM_MAX_FD)
            ports.add(freeFixedPort());
        }
        final List<String> listens = new ArrayList<>();
        ports.stream().skip(1).forEach(p -> listens.addAll(List.of("--listen", "127.0.0.1:" + p)));
        final int last = ports.stream().reduce((a, b) -> b).orElseThrow();
        try (EchoServer echo = new EchoServer("hi");
             NiolbProcess old = NiolbProcess.start(run(ports.iterator().next(), echo, control,
                 listens.toArray(String[]::new)))) {
            old.awaitOut("control socket " + control, WAIT);
            try (NiolbProcess successor = NiolbProcess.start(run(ports.iterator().next(), echo, control,
                Stream.concat(listens.stream(), Stream.of("--takeover", control.toString())).toArray(String[]::new)))) {
                successor.awaitOut("adopted 260 listening sockets from before the restart.*", WAIT);
                assertThat(old.awaitExit(WAIT)).isZero();
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), last)) {
                    client.setSoTimeout(10_000);
                    assertThat(RunProcessTest.readLine(client)).as("the last listener, on the successor").isEqualTo("hi");
                }
                successor.signal("TERM");
                assertThat(successor.awaitExit(WAIT)).isZero();
            }
        }
    }

    @Test
    void aTakeoverWhoseNiolbResetsTheExchangeSaysAnotherMayHaveTakenItOverFirst(@TempDir final Path dir)
        throws Exception {
        final Path path = dir.resolve("niolb.sock");
        try (java.nio.channels.ServerSocketChannel old = java.nio.channels.ServerSocketChannel.open(
            java.net.StandardProtocolFamily.UNIX)) {
            old.bind(java.net.UnixDomainSocketAddress.of(path));
            // what a niolb taken over by another successor does to a request waiting for it: closes on it unread
            final Thread closing = Thread.ofPlatform().start(() -> {
                try (java.nio.channels.SocketChannel request = old.accept()) {
                    request.read(java.nio.ByteBuffer.allocate(1)); // the request is there; the rest stays unread
                } catch (final IOException e) {
                    // the test fails on the successor's line
                }
            });
            try (NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--server", "127.0.0.1:9",
                "--admin", "none", "--takeover", path.toString())) {
                assertThat(niolb.awaitExit(WAIT)).isEqualTo(1);
                assertThat(niolb.err()).containsExactly("niolb: cannot take over from " + path + ": recvmsg: the "
                    + "other side went away (connection reset) before handing its sockets over (another niolb may "
                    + "have taken it over first)");
            }
            closing.join();
        }
    }

    @Test
    void aTakeoverAimedAtAPlainFileSaysItIsNoSocket(@TempDir final Path dir) throws Exception {
        final Path file = Files.writeString(dir.resolve("niolb.sock"), "");
        try (NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--server", "127.0.0.1:9",
            "--admin", "none", "--takeover", file.toString())) {
            assertThat(niolb.awaitExit(WAIT)).isEqualTo(1);
            assertThat(niolb.err()).containsExactly("niolb: cannot take over from " + file + ": " + file
                + " is not a socket: give the --control-socket path of the running niolb");
        }
    }

    @Test
    void aTakeoverOnTheNioTransportOfAConfigFileNamesTheFileAndExits78(@TempDir final Path dir) throws Exception {
        final Path config = Files.writeString(dir.resolve("niolb.yaml"), """
            defaults:
              transport: nio
            admin:
              address: none
            listeners:
              - bind: 127.0.0.1:0
            groups:
              - name: web
                servers:
                  - 127.0.0.1:9
            """);
        try (NiolbProcess niolb = NiolbProcess.start("run", "--config", config.toString(), "--takeover",
            dir.resolve("niolb.sock").toString())) {
            assertThat(niolb.awaitExit(WAIT)).as("EX_CONFIG").isEqualTo(78);
            assertThat(niolb.err()).containsExactly("niolb: --takeover needs the epoll transport (the JDK cannot "
                + "adopt a socket): set transport: auto (or epoll) in " + config);
        }
    }

    @Test
    void aTakeoverWhereNoNiolbListensIsOneLineAndExitCode1(@TempDir final Path dir) throws Exception {
        final Path nobody = dir.resolve("nobody.sock");
        try (NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--server", "127.0.0.1:9",
            "--admin", "none", "--takeover", nobody.toString())) {
            assertThat(niolb.awaitExit(WAIT)).isEqualTo(1);
            assertThat(niolb.err()).singleElement().asString()
                .isEqualTo("niolb: cannot take over from " + nobody + ": connect " + nobody + ": no such file");
        }
    }

    @Test
    void aSecondNiolbOnALiveControlSocketWithoutTakeoverIsRefused(@TempDir final Path dir) throws Exception {
        final Path control = dir.resolve("niolb.sock");
        try (EchoServer echo = new EchoServer("hi");
             NiolbProcess first = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--server",
                 RunProcessTest.hostPort(echo), "--admin", "none", "--control-socket", control.toString())) {
            first.awaitListeningPort();
            try (NiolbProcess second = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--server",
                RunProcessTest.hostPort(echo), "--admin", "none", "--control-socket", control.toString())) {
                assertThat(second.awaitExit(WAIT)).isEqualTo(1);
                assertThat(second.err()).singleElement().asString().isEqualTo("niolb: cannot open the control "
                    + "socket " + control + ": a process listens on the control socket " + control
                    + " already (if it is a niolb, take its sockets over with --takeover " + control + ")");
                assertThat(second.out()).as("found before any listener took a client")
                    .noneMatch(line -> line.contains("listening on"));
            }
            first.signal("TERM");
            assertThat(first.awaitExit(WAIT)).isZero();
        }
    }

    @Test
    void aSuccessorWhoseControlSocketCannotOpenSaysSoBeforeAskingAndTheOldOneServesOn(@TempDir final Path dir)
        throws Exception {
        final int port = freeFixedPort();
        final Path control = dir.resolve("niolb.sock");
        try (EchoServer echo = new EchoServer("hi");
             NiolbProcess old = NiolbProcess.start(run(port, echo, control))) {
            old.awaitOut("control socket " + control, WAIT);
            final Path nowhere = dir.resolve("missing").resolve("niolb.sock");
            final String[] successorArgs = run(port, echo, nowhere, "--takeover", control.toString());
            try (NiolbProcess successor = NiolbProcess.start(successorArgs)) {
                assertThat(successor.awaitExit(WAIT)).isEqualTo(1);
                assertThat(successor.err()).singleElement().asString().isEqualTo("niolb: cannot open the control "
                    + "socket " + nowhere + ": no such directory " + nowhere.getParent());
            }
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.setSoTimeout(10_000);
                assertThat(RunProcessTest.readLine(s)).as("the old niolb still serves").isEqualTo("hi");
            }
            old.signal("TERM");
            assertThat(old.awaitExit(WAIT)).isZero();
            assertThat(old.out()).as("never asked").noneMatch(l -> l.contains("takeover: handed"));
        }
    }

    @Test
    void aControlSocketOrTakeoverPathTooLongForAUnixSocketIsAUsageError(@TempDir final Path dir)
        throws Exception {
        final Path control = dir.resolve("c".repeat(120) + ".sock");
        try (NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--server", "127.0.0.1:9",
            "--admin", "none", "--control-socket", control.toString())) {
            assertThat(niolb.awaitExit(WAIT)).as("a usage error").isEqualTo(2);
            assertThat(niolb.err()).first().asString().isEqualTo("niolb: --control-socket: a Unix socket's path is at "
                + "most 107 bytes, and " + control + " is " + control.toString().length());
            assertThat(niolb.out()).noneMatch(l -> l.contains("listening on"));
        }
        try (NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--server", "127.0.0.1:9",
            "--admin", "none", "--takeover", control.toString())) {
            assertThat(niolb.awaitExit(WAIT)).as("a usage error, not an internal one").isEqualTo(2);
            assertThat(niolb.err()).first().asString().startsWith("niolb: --takeover: a Unix socket's path is at most");
        }
    }

    @Test
    void aSuccessorAskedToStopWhileStartingLeavesTheOldOneServing(@TempDir final Path dir) throws Exception {
        final int port = freeFixedPort();
        final Path control = dir.resolve("niolb.sock");
        // the successor reads its admin token from a FIFO during its start: it waits there, after it received
        // the sockets and before it tells the old niolb, until the test writes the token
        final Path token = RunProcessTest.fifo(dir.resolve("token"));
        try (EchoServer echo = new EchoServer("hi");
             NiolbProcess old = NiolbProcess.start(run(port, echo, control))) {
            old.awaitOut("control socket " + control, WAIT);
            final List<String> args = new ArrayList<>(List.of(run(port, echo, control, "--takeover",
                control.toString())));
            final int admin = args.indexOf("--admin");
            args.set(admin + 1, "127.0.0.1:0");
            args.addAll(List.of("--admin-token-file", token.toString()));
            try (NiolbProcess successor = NiolbProcess.start(args.toArray(String[]::new))) {
                try (OutputStream w = Files.newOutputStream(token)) { // returns once the successor opened it
                    successor.signal("TERM");
                    w.write(RunProcessTest.TOKEN.getBytes(StandardCharsets.US_ASCII));
                }
                assertThat(successor.awaitExit(WAIT)).isZero();
                assertThat(successor.out()).anyMatch(line -> line.contains(
                    "takeover: asked to stop while starting; the old niolb keeps serving"));
            }
            assertKeepsServingAndStops(old, port, control);
        }
    }

    @Test
    void aControlSocketPathHoldingAFileIsRefusedAndTheFileKept(@TempDir final Path dir) throws Exception {
        final Path file = Files.writeString(dir.resolve("niolb.yaml"), "precious\n");
        try (NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--server", "127.0.0.1:9",
            "--admin", "none", "--control-socket", file.toString())) {
            assertThat(niolb.awaitExit(WAIT)).isEqualTo(1);
            assertThat(niolb.err()).singleElement().asString().isEqualTo("niolb: cannot open the control socket "
                + file + ": " + file + " exists and is not a socket: give another path");
        }
        assertThat(Files.readString(file)).isEqualTo("precious\n");
    }

    @Test
    void onTheNioTransportNoControlSocketIsOpenedSoATakeoverFailsCleanlyAndTheOldOneServesOn(@TempDir final Path dir)
        throws Exception {
        final Path control = dir.resolve("niolb.sock");
        try (EchoServer echo = new EchoServer("old");
             NiolbProcess old = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--server",
                 RunProcessTest.hostPort(echo), "--admin", "none", "--transport", "nio", "--control-socket",
                 control.toString())) {
            final int port = old.awaitListeningPort();
            old.awaitOut("control socket " + control + " not opened: a takeover needs the epoll transport", WAIT);
            assertThat(control).doesNotExist();

            try (NiolbProcess successor = NiolbProcess.start("run", "--listen", "127.0.0.1:" + port, "--server",
                RunProcessTest.hostPort(echo), "--admin", "none", "--takeover", control.toString())) {
                assertThat(successor.awaitExit(WAIT)).isEqualTo(1);
                assertThat(successor.err()).singleElement().asString()
                    .startsWith("niolb: cannot take over from " + control + ": ");
            }
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
                assertThat(RunProcessTest.readLine(client)).as("the old one serves on").isEqualTo("old");
            }
            old.signal("TERM");
            assertThat(old.awaitExit(WAIT)).isZero();
        }
    }

    @Test
    void afterATakeoverTheOldOnesFirstSigtermStillWaitsForItsSessions(@TempDir final Path dir) throws Exception {
        final int port = freeFixedPort();
        final Path control = dir.resolve("niolb.sock");
        try (EchoServer echo = new EchoServer("hi");
             NiolbProcess old = NiolbProcess.start(run(port, echo, control))) {
            old.awaitOut("control socket " + control, WAIT);
            try (Socket session = new Socket(InetAddress.getLoopbackAddress(), port);
                 NiolbProcess successor = NiolbProcess.start(run(port, echo, control, "--takeover",
                     control.toString()))) {
                session.setSoTimeout(10_000);
                assertThat(RunProcessTest.readLine(session)).isEqualTo("hi");
                old.awaitOut("stopping: 1 session, grace 20s \\(taken over\\)", WAIT);

                old.signal("TERM"); // as a script that stops the old process after a takeover does
                session.getOutputStream().write("still here\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(RunProcessTest.readLine(session)).as("not cut by the SIGTERM").isEqualTo("still here");
                assertThat(old.isAlive()).isTrue();
                session.close();
                assertThat(old.awaitExit(WAIT)).isZero();
                successor.signal("TERM");
                assertThat(successor.awaitExit(WAIT)).isZero();
            }
        }
    }

    @Test
    void afterATakeoverEveryNewUdpClientIsAnsweredByTheSuccessorAndTheOldOneEndsOnceItsFlowIsQuiet(@TempDir final Path dir)
        throws Exception {
        final int port = freeFixedPort();
        final Path control = dir.resolve("niolb.sock");
        try (dev.niolb.testing.UdpEchoServer echo = new dev.niolb.testing.UdpEchoServer("u")) {
            final String[] args = {"run", "--listen", "udp://127.0.0.1:" + port, "--threads", "2", "--server",
                "127.0.0.1:" + echo.address().getPort(), "--admin", "none", "--grace", "20s",
                "--udp-idle-timeout", "20s", "--control-socket", control.toString()};
            try (NiolbProcess old = NiolbProcess.start(args);
                 dev.niolb.testing.UdpClient first = new dev.niolb.testing.UdpClient(
                     new InetSocketAddress("127.0.0.1", port))) {
                old.awaitOut("control socket " + control, WAIT);
                assertThat(first.ask("before")).isEqualTo("u:before"); // a flow that keeps the old niolb going
                final List<String> successorArgs = new ArrayList<>(List.of(args));
                successorArgs.addAll(List.of("--takeover", control.toString()));
                try (NiolbProcess successor = NiolbProcess.start(successorArgs.toArray(String[]::new))) {
                    old.awaitOut("stopping: 1 session, grace 20s \\(taken over\\)", WAIT);
                    int answered = 0;
                    for (int i = 0; i < 20; i++) {
                        try (dev.niolb.testing.UdpClient client = new dev.niolb.testing.UdpClient(
                            new InetSocketAddress("127.0.0.1", port))) {
                            if (("u:c" + i).equals(client.ask("c" + i))) {
                                answered++;
                            }
                        }
                    }
                    assertThat(answered).as("new clients answered, none dropped by the old niolb").isEqualTo(20);
                    // the old one's flow only waits for late replies now: quiet for a second, it ends, and the old
                    // niolb with it, without a signal (its 20 s idle timeout held it before)
                    assertThat(old.awaitExit(WAIT)).isZero();
                    assertThat(old.out()).noneMatch(l -> l.contains("sessions still open"));
                    // the successor's flows are quiet too: a plain stop ends them a second later, not at their 20 s
                    // idle timeout (or the grace's end)
                    successor.signal("TERM");
                    successor.awaitOut("stopping: .*\\(SIGTERM\\)", WAIT);
                    assertThat(successor.awaitExit(Duration.ofSeconds(10))).as("well within the 20 s grace").isZero();
                    assertThat(successor.out()).noneMatch(l -> l.contains("grace period over"));
                }
            }
        }
    }

    @Test
    void aSuccessorCountsOnlyTheKernelDropsOfItsOwnTimeOnTheSocketsItAdopted(@TempDir final Path dir)
        throws Exception {
        final int port = freeFixedPort();
        final int admin = freeFixedPort();
        final Path control = dir.resolve("niolb.sock");
        try (dev.niolb.testing.UdpEchoServer echo = new dev.niolb.testing.UdpEchoServer("u")) {
            final String[] args = {"run", "--listen", "udp://127.0.0.1:" + port, "--threads", "1", "--server",
                "127.0.0.1:" + echo.address().getPort(), "--admin", "127.0.0.1:" + admin, "--grace", "20s",
                "--udp-rcvbuf", "4k", "--control-socket", control.toString()};
            final dev.niolb.testing.Http http = new dev.niolb.testing.Http(new InetSocketAddress("127.0.0.1", admin));
            try (NiolbProcess old = NiolbProcess.start(args)) {
                old.awaitOut("control socket " + control, WAIT);
                old.signal("STOP"); // the burst meets a full 4 KiB buffer that nobody reads
                try (dev.niolb.testing.UdpClient client = new dev.niolb.testing.UdpClient(
                    new InetSocketAddress("127.0.0.1", port))) {
                    for (int i = 0; i < 60; i++) {
                        client.send(new byte[1000]);
                    }
                } finally {
                    old.signal("CONT");
                }
                dev.niolb.testing.Await.until(() -> kernelDrops(http.get("/api/stats").body()) > 0, 10_000);

                final List<String> successorArgs = new ArrayList<>(List.of(args));
                successorArgs.addAll(List.of("--takeover", control.toString()));
                try (NiolbProcess successor = NiolbProcess.start(successorArgs.toArray(String[]::new))) {
                    old.awaitOut("stopping: .*\\(taken over\\)", WAIT);
                    successor.awaitOut("admin API and stats page on .*", WAIT);
                    assertThat(kernelDrops(http.get("/api/stats").body()))
                        .as("the old niolb's drops on the sockets it handed over are not the successor's").isZero();
                    // the old one's flow, its socket the successor's now, ends once quiet for a second: and the
                    // old niolb with it, without a signal (it held the 20 s of grace before)
                    assertThat(old.awaitExit(WAIT)).isZero();
                    successor.signal("TERM");
                    successor.awaitOut("stopping: .*\\(SIGTERM\\)", WAIT);
                    Thread.sleep(StopSignals.SAME_REQUEST_MS); // sooner, it is the first delivered twice
                    try {
                        successor.signal("TERM"); // its own flow would hold it for its 20 s of grace
                    } catch (final java.io.IOException exitedMeanwhile) {
                        // a stop with no session open ends by itself, and may have before this second signal
                    }
                    successor.awaitExit(WAIT);
                }
            }
        }
    }

    private static long kernelDrops(final String stats) {
        final java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"kernel\":(\\d+)").matcher(stats);
        assertThat(m.find()).as("a kernel drop count in %s", stats).isTrue();
        return Long.parseLong(m.group(1));
    }

    @Test
    void aTakeoverWithAnAdminAddressHandsTheAdminApiOverToo(@TempDir final Path dir) throws Exception {
        final int port = freeFixedPort();
        final int admin = freeFixedPort();
        final Path control = dir.resolve("niolb.sock");
        try (EchoServer echo = new EchoServer("hi")) {
            final List<String> args = new ArrayList<>(List.of(run(port, echo, control)));
            args.set(args.indexOf("--admin") + 1, "127.0.0.1:" + admin);
            try (NiolbProcess old = NiolbProcess.start(args.toArray(String[]::new))) {
                old.awaitOut("control socket " + control, WAIT);
                args.addAll(List.of("--takeover", control.toString()));
                try (NiolbProcess successor = NiolbProcess.start(args.toArray(String[]::new))) {
                    successor.awaitOut("admin API and stats page on http://127\\.0\\.0\\.1:" + admin + "/", WAIT);
                    old.awaitOut("stopping: 0 sessions, grace 20s \\(taken over\\)", WAIT);
                    assertThat(old.awaitExit(WAIT)).isZero();

                    assertThat(new dev.niolb.testing.Http(new InetSocketAddress("127.0.0.1", admin)).get("/ready")
                        .statusCode()).as("the successor answers at the admin address").isEqualTo(200);
                    successor.signal("TERM");
                    assertThat(successor.awaitExit(WAIT)).isZero();
                }
            }
        }
    }

    @Test
    void aSuccessorWithFewerThreadsServesTheClientsWaitingInEveryHandedOverQueue(@TempDir final Path dir)
        throws Exception {
        final int port = freeFixedPort();
        final Path control = dir.resolve("niolb.sock");
        try (EchoServer echo = new EchoServer("hi")) {
            final List<String> args = new ArrayList<>(List.of(run(port, echo, control, "--maxconn", "2")));
            final List<Socket> clients = new ArrayList<>();
            try (NiolbProcess old = NiolbProcess.start(args.toArray(String[]::new))) {
                old.awaitOut("control socket " + control, WAIT);
                for (int i = 0; i < 2; i++) { // maxconn reached: the old niolb accepts no more
                    final Socket held = new Socket(InetAddress.getLoopbackAddress(), port);
                    held.setSoTimeout(10_000);
                    assertThat(RunProcessTest.readLine(held)).isEqualTo("hi");
                    clients.add(held);
                }
                final List<Socket> waiting = new ArrayList<>();
                for (int i = 0; i < 8; i++) { // they wait in the kernel's queues of both sockets
                    final Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
                    s.setSoTimeout(10_000);
                    waiting.add(s);
                    clients.add(s);
                }
                final List<String> successorArgs = new ArrayList<>(List.of(run(port, echo, control, "--takeover",
                    control.toString())));
                successorArgs.set(successorArgs.indexOf("--threads") + 1, "1");
                try (NiolbProcess successor = NiolbProcess.start(successorArgs.toArray(String[]::new))) {
                    successor.awaitOut("adopted 2 listening sockets from before the restart.*", WAIT);
                    for (final Socket s : waiting) {
                        assertThat(RunProcessTest.readLine(s)).as("a client that waited in a queue").isEqualTo("hi");
                    }
                    for (final Socket s : clients) {
                        s.close();
                    }
                    assertThat(old.awaitExit(WAIT)).isZero();
                    successor.signal("TERM");
                    assertThat(successor.awaitExit(WAIT)).isZero();
                }
            } finally {
                for (final Socket s : clients) {
                    s.close();
                }
            }
        }
    }

    /** The old niolb of a takeover that did not happen: it says so, still serves, keeps its control socket. */
    private static void assertKeepsServingAndStops(final NiolbProcess old, final int port, final Path control)
        throws Exception {
        // why, when the successor could say it (a failed start, a stop asked while starting); else that it went away
        old.awaitOut("takeover: niolb pid \\d+ did not start \\((it went away|it failed: '[^']+')\\); this niolb keeps "
            + "serving", WAIT);
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            assertThat(RunProcessTest.readLine(s)).as("the old niolb still serves").isEqualTo("hi");
        }
        assertThat(control).as("the old one's control socket, for the next try").exists();
        old.signal("TERM");
        assertThat(old.awaitExit(WAIT)).isZero();
    }
}
