package dev.niolb.cli;

import dev.niolb.testing.ClientLoad;
import dev.niolb.testing.EchoServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.params.ParameterizedTest;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** SIGHUP to a real {@code niolb run --config} process under load: the file is read again and reloaded in-process. */
@Timeout(90)
class ReloadProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private static String config(final EchoServer... servers) {
        final StringBuilder yaml = new StringBuilder("""
            defaults:
              threads: 2
              grace: 2s
            listeners:
              - name: front
                bind: 127.0.0.1:0
            groups:
              - name: web
                balance: leastconn
                servers:
            """);
        for (final EchoServer s : servers) {
            yaml.append("      - ").append(RunProcessTest.hostPort(s)).append('\n');
        }
        return yaml.toString();
    }

    @Test
    void sighupReloadsTheFileUnderLoadAndABrokenFileLeavesItRunning(@TempDir final Path dir) throws Exception {
        try (EchoServer a = new EchoServer("a"); EchoServer b = new EchoServer("b"); EchoServer c = new EchoServer("c")) {
            final Path file = Files.writeString(dir.resolve("niolb.yaml"), config(a, b));
            try (NiolbProcess niolb = NiolbProcess.start("run", "--config", file.toString())) {
                final int port = niolb.awaitListeningPort();
                final InetSocketAddress front = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
                try (ClientLoad load = new ClientLoad(() -> front).shortSessions(4).longTransfers(2, 32 << 20)) {
                    awaitSessions(load, 40);
                    assertThat(load.servedBy("c")).isZero();

                    Files.writeString(file, config(a, b, c));
                    niolb.signal("HUP");
                    niolb.awaitOut("reload: group web: \\+server " + RunProcessTest.hostPort(c).replace(".", "\\."), WAIT);
                    final long until = System.nanoTime() + WAIT.toNanos();
                    while (load.servedBy("c") == 0 && System.nanoTime() < until) {
                        Thread.sleep(20);
                    }
                    assertThat(load.servedBy("c")).as("the new server takes sessions").isPositive();

                    Files.writeString(file, config(a, b, c).replace(RunProcessTest.hostPort(c),
                        RunProcessTest.hostPort(c) + ",weight=900"));
                    niolb.signal("HUP");
                    niolb.awaitOut("ERROR .*reload refused: " + file + ":\\d+: .*weight.*; the running config stays", WAIT);
                    awaitSessions(load, load.sessions() + 40); // still serving

                    final long transfers = System.nanoTime() + WAIT.toNanos();
                    while (load.transfersDone() + load.failures().size() < 2 && System.nanoTime() < transfers) {
                        Thread.sleep(20);
                    }
                    load.close();
                    assertThat(load.failures()).isEmpty();
                    assertThat(load.transfersDone()).isEqualTo(2);
                }
                niolb.signal("TERM");
                assertThat(niolb.awaitExit(WAIT)).isZero();
                assertThat(niolb.out()).noneMatch(line -> line.contains("Exception"));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"SIGHUP", "POST /reload"})
    void aStopDuringAReloadWaitingOnDnsEndsWithoutWaitingForTheLookup(final String how, @TempDir final Path dir)
        throws Exception {
        try (EchoServer a = new EchoServer("a");
             java.net.DatagramSocket silentResolver = new java.net.DatagramSocket(
                 new InetSocketAddress("127.0.0.1", 0))) {
            silentResolver.setSoTimeout(20_000);
            final String head = "admin:\n  address: 127.0.0.1:0\ndns:\n  resolver: 127.0.0.1:"
                + silentResolver.getLocalPort() + "\n  timeout: 60s\n"; // far past WAIT: the stop must not wait for it
            final Path file = Files.writeString(dir.resolve("niolb.yaml"), head + config(a));
            try (NiolbProcess niolb = NiolbProcess.start("run", "--config", file.toString())) {
                final dev.niolb.testing.Http admin = new dev.niolb.testing.Http(new InetSocketAddress("127.0.0.1",
                    Integer.parseInt(niolb.awaitOut("admin API and stats page on http://127\\.0\\.0\\.1:(\\d+)/", WAIT)
                        .group(1))));
                Files.writeString(file, head + config(a) + "      - backend.test:80\n");
                final Thread posting = Thread.ofVirtual().start(() -> {
                    try {
                        if (how.equals("POST /reload")) {
                            admin.post("/reload", "");
                        }
                    } catch (final Exception e) {
                        // the stop closes the admin API, perhaps before it answers: the test judges by the process
                    }
                });
                if (how.equals("SIGHUP")) {
                    niolb.signal("HUP");
                }
                silentResolver.receive(new java.net.DatagramPacket(new byte[512], 512)); // asked, never answered

                niolb.signal("TERM");

                niolb.awaitOut("stopping: 0 sessions", WAIT);
                assertThat(niolb.awaitExit(WAIT)).as("not after the lookup's 60 s").isZero();
                posting.join();
            }
        }
    }

    @Test
    void sighupWithAnAliasBombOrADeeplyNestedFileIsRefusedInOneLineAndTheProcessGoesOn(@TempDir final Path dir)
        throws Exception {
        try (EchoServer a = new EchoServer("a")) {
            final Path file = Files.writeString(dir.resolve("niolb.yaml"), config(a));
            try (NiolbProcess niolb = NiolbProcess.start("run", "--config", file.toString())) {
                final int port = niolb.awaitListeningPort();
                try (java.net.Socket open = new java.net.Socket(InetAddress.getLoopbackAddress(), port)) {
                    assertThat(RunProcessTest.readLine(open)).isEqualTo("a");

                    final StringBuilder bomb = new StringBuilder(config(a)).append("x: &big ")
                        .append("x".repeat(200_000)).append("\ny:\n");
                    for (int i = 0; i < 5000; i++) {
                        bomb.append("  - *big\n");
                    }
                    Files.writeString(file, bomb);
                    niolb.signal("HUP");
                    niolb.awaitOut("ERROR .*reload refused: " + file + ":\\d+: expands to more than 16 Mi characters "
                        + "through its aliases; not read; the running config stays", WAIT);

                    Files.writeString(file, "listeners: " + "[".repeat(2000) + "]".repeat(2000));
                    niolb.signal("HUP");
                    niolb.awaitOut("ERROR .*reload refused: " + file + ":1: nested deeper than 64 levels; not read; "
                        + "the running config stays", WAIT);

                    open.getOutputStream().write("still here\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    assertThat(RunProcessTest.readLine(open)).as("the session in flight goes on").isEqualTo("still here");
                }
                try (java.net.Socket client = new java.net.Socket(InetAddress.getLoopbackAddress(), port)) {
                    assertThat(RunProcessTest.readLine(client)).as("new sessions too").isEqualTo("a");
                }
                niolb.signal("TERM");
                assertThat(niolb.awaitExit(WAIT)).isZero();
                assertThat(niolb.out()).noneMatch(line -> line.contains("Exception") || line.contains("Error"));
            }
        }
    }

    @Test
    void sighupWithFlagsChangesNothingAndDoesNotEndTheProcess() throws Exception {
        try (EchoServer a = new EchoServer("a");
             NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--server",
                 RunProcessTest.hostPort(a), "--threads", "1")) {
            final int port = niolb.awaitListeningPort();
            niolb.signal("HUP");
            niolb.awaitOut("reload: no change", WAIT);
            try (java.net.Socket client = new java.net.Socket(InetAddress.getLoopbackAddress(), port)) {
                assertThat(RunProcessTest.readLine(client)).isEqualTo("a");
            }
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(WAIT)).isZero();
        }
    }

    @Test
    void aSighupWhileNiolbIsStartingIsHeldAndReloadsOnceItRuns(@TempDir final Path dir) throws Exception {
        // the admin token is read from a FIFO during start-up: niolb waits there, at a moment the test can see,
        // until the test writes the token, so the SIGHUP surely comes while niolb is starting
        final Path token = RunProcessTest.fifo(dir.resolve("token"));
        try (EchoServer a = new EchoServer("a");
             NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--server",
                 RunProcessTest.hostPort(a), "--threads", "1", "--admin", "127.0.0.1:0", "--admin-token-file",
                 token.toString())) {
            // opening a FIFO to write returns once niolb has opened it to read: it is starting, and waits for the token
            try (java.io.OutputStream w = Files.newOutputStream(token)) {
                niolb.signal("HUP"); // the JVM's default: exit 129, not a word in the log
                w.write(RunProcessTest.TOKEN.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }

            final int port = niolb.awaitListeningPort();
            niolb.awaitOut("SIGHUP came while niolb was starting: reloading now", WAIT);
            niolb.awaitOut("reload: no change", WAIT);
            try (java.net.Socket client = new java.net.Socket(InetAddress.getLoopbackAddress(), port)) {
                assertThat(RunProcessTest.readLine(client)).isEqualTo("a");
            }
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(WAIT)).isZero();
        }
    }

    @Test
    void startedUnderNohupNiolbSaysThatSighupWillNotReloadAndHowToReload() throws Exception {
        try (EchoServer a = new EchoServer("a");
             NiolbProcess niolb = NiolbProcess.start(List.of("nohup"), "run", "--listen", "127.0.0.1:0", "--server",
                 RunProcessTest.hostPort(a), "--threads", "1")) {
            niolb.awaitListeningPort();
            niolb.awaitOut("WARN .*SIGHUP was ignored when niolb started \\(nohup\\?\\), so it will not reload: use"
                + " 'niolb reload' or POST /reload on the admin API", WAIT);
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(WAIT)).isZero();
        }
    }

    /** Waits until the load has had {@code count} sessions in all. */
    private static void awaitSessions(final ClientLoad load, final int count) throws InterruptedException {
        final long until = System.nanoTime() + WAIT.toNanos();
        while (load.sessions() < count) {
            assertThat(System.nanoTime()).as("%d sessions within %s (%d so far)", count, WAIT, load.sessions())
                .isLessThan(until);
            Thread.sleep(20);
        }
    }
}
