package dev.niolb.cli;

import dev.niolb.cli.log.UnixDatagramSocket;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.Http;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code niolb run} with its log outputs, as a real process: the access log in a file rotated at its size limit,
 * and both logs as RFC 5424 datagrams to a syslog receiver on a loopback UDP port or a Unix datagram socket.
 */
@Timeout(90)
class LogOutputsProcessTest {
    private static final Duration START = Duration.ofSeconds(20);
    private static final int SESSIONS = 30;
    private static final int MAX_SIZE = 1024;

    private static void session(final int port) throws IOException {
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
            assertThat(RunProcessTest.readLine(client)).isEqualTo("hi");
        }
    }

    /** niolb with one loop, no admin API, one server, and the log options {@code more}. */
    private static NiolbProcess niolb(final String server, final String... more) throws Exception {
        final List<String> args = new java.util.ArrayList<>(List.of("run", "--listen", "127.0.0.1:0", "--threads", "1",
            "--server", server, "--admin", "none"));
        args.addAll(List.of(more));
        return NiolbProcess.start(args.toArray(String[]::new));
    }

    @Test
    void accessLinesLandInTheFileAndItIsRotatedAtTheSizeLimit(@TempDir final Path dir) throws Exception {
        final Path file = dir.resolve("logs/access.log"); // a directory that does not exist yet
        try (EchoServer echo = new EchoServer("hi");
             NiolbProcess niolb = niolb(RunProcessTest.hostPort(echo), "--access-log", "plain",
                 "--access-log-file", file.toString(), "--access-log-max-size", "1k")) {
            final int port = niolb.awaitListeningPort();
            assertThat(niolb.out()).as("not made silently: a typo would make a tree")
                .anyMatch(l -> l.endsWith("access log: created the directory " + file.getParent()));
            for (int i = 0; i < SESSIONS; i++) {
                session(port);
            }
            final long deadline = System.nanoTime() + START.toNanos();
            Logs logs = Logs.read(file);
            while (logs.total() < SESSIONS) {
                assertThat(System.nanoTime()).as("all %d lines in %s: %s", SESSIONS, dir, logs).isLessThan(deadline);
                Thread.sleep(50);
                logs = Logs.read(file);
            }

            assertThat(logs.total()).isEqualTo(SESSIONS);
            assertThat(logs.active()).allMatch(l -> l.matches("127\\.0\\.0\\.1:\\d+ \\[\\S+Z] tcp .* client_close"));
            assertThat(logs.rotated()).as("files rotated at 1k").hasSizeGreaterThanOrEqualTo(2);
            final int longest = Stream.concat(logs.active().stream(), logs.rotated().stream().flatMap(List::stream))
                .mapToInt(l -> l.length() + 1).max().orElseThrow();
            for (final List<String> rotated : logs.rotated()) {
                final int bytes = rotated.stream().mapToInt(l -> l.length() + 1).sum();
                assertThat(bytes).as("a rotated file's size: the limit reached, by at most one line")
                    .isBetween(MAX_SIZE, MAX_SIZE + longest);
            }
            assertThat(String.join("\n", niolb.out())).as("no access line on stdout").doesNotContain("client_close");
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(START)).isZero();
        }
    }

    @Test
    void anAccessLogOnAFullDiskIsSaidOnceAndWhenItIsWrittenAgainWithTheLinesLostAndCountsThem(@TempDir final Path dir)
        throws Exception {
        try (SmallDisk small = SmallDisk.mount(dir)) {
            final Path disk = small.path();
            final Path file = disk.resolve("access.log");
            try (EchoServer echo = new EchoServer("hi");
                 NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--threads", "1",
                     "--server", RunProcessTest.hostPort(echo), "--admin", "127.0.0.1:0", "--access-log", "plain",
                     "--access-log-file", file.toString())) {
                final int admin = Integer.parseInt(niolb.awaitOut(
                    "admin API and stats page on http://127\\.0\\.0\\.1:(\\d+)/", START).group(1));
                final int port = niolb.awaitListeningPort();
                session(port);
                awaitLines(file, 1);
                final Path filler = small.fill();
                // the file's last page still has room: lines fit there until it is full (a page is 40 lines or so)
                final String failed = "access log " + file + ": cannot write (No space left on device): its lines are lost";
                // bounded in time, not in sessions: the lines go through the writer's queue, which on a loaded
                // machine was still behind after 500 sessions (CI-like run, session 32); paced, as below
                final long full = System.nanoTime() + START.toNanos();
                while (niolb.out().stream().noneMatch(l -> l.contains(failed))) {
                    assertThat(System.nanoTime()).as("the disk refused a line within %s: %s", START, niolb)
                        .isLessThan(full);
                    session(port);
                    Thread.sleep(5);
                }

                // still full: Logback reopens the file at growing intervals from 20 ms and calls that a recovery,
                // though the flush that follows fails again; niolb said "written again" and "cannot write" each time
                for (int i = 0; i < 60; i++) { // a few ms each: Logback tries to reopen several times meanwhile
                    session(port);
                }
                assertThat(niolb.out()).filteredOn(l -> l.contains(": written again;")).as("while still full").isEmpty();

                Files.delete(filler);
                final long deadline = System.nanoTime() + START.toNanos();
                java.util.regex.Matcher again = null;
                while (again == null) {
                    assertThat(System.nanoTime()).as("written again within %s: %s", START, niolb).isLessThan(deadline);
                    session(port);
                    // niolb says so once lines have been written for a second with none lost; paced, so that the
                    // lines meanwhile do not fill the 64 KiB again (a pace, not a wait: the line is the event)
                    Thread.sleep(20);
                    again = niolb.out().stream().map(java.util.regex.Pattern.compile(
                        "access log " + java.util.regex.Pattern.quote(file.toString())
                            + ": written again; (\\d+) lines were lost")::matcher)
                        .filter(java.util.regex.Matcher::find).findFirst().orElse(null);
                }
                final int lost = Integer.parseInt(again.group(1));
                assertThat(lost).as("at least the line the disk refused").isPositive();
                assertThat(new Http(new InetSocketAddress("127.0.0.1", admin)).get("/metrics").body())
                    .as("the lines lost, counted").contains("\nniolb_access_log_lost_total " + lost + "\n");
                assertThat(niolb.out()).filteredOn(l -> l.contains(": cannot write (")).as("said once").hasSize(1);
                // every line is in the file or counted lost (give or take one written in part as the disk filled,
                // counted lost and joined in the file to the line after it)
                final Http api = new Http(new InetSocketAddress("127.0.0.1", admin));
                dev.niolb.testing.Await.until(() -> { // the last lines may still wait in the writer's queue
                    final String metrics = api.get("/metrics").body();
                    final long offered = metric(metrics, "niolb_access_log_lines_total");
                    final long inFile = Files.readAllLines(file).stream().filter(l -> l.contains("127.0.0.1")).count();
                    final long accounted = inFile + metric(metrics, "niolb_access_log_lost_total");
                    return Math.abs(accounted - offered) <= 1;
                }, START.toMillis());
                niolb.signal("TERM");
                assertThat(niolb.awaitExit(START)).isZero();
            }
        }
    }

    @Test
    void aRotationOnAFullDiskKeepsTheRotatedLinesUncompressedAndCompressesThemOnceThereIsRoom(@TempDir final Path dir)
        throws Exception {
        try (SmallDisk small = SmallDisk.mount(dir)) {
            final Path disk = small.path();
            final Path file = disk.resolve("access.log");
            try (EchoServer echo = new EchoServer("hi");
                 NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--threads", "1",
                     "--server", RunProcessTest.hostPort(echo), "--admin", "127.0.0.1:0", "--access-log", "plain",
                     "--access-log-file", file.toString(), "--access-log-max-size", "1k")) {
                final Http api = new Http(new InetSocketAddress("127.0.0.1", Integer.parseInt(niolb.awaitOut(
                    "admin API and stats page on http://127\\.0\\.0\\.1:(\\d+)/", START).group(1))));
                final int port = niolb.awaitListeningPort();
                session(port);
                awaitLines(file, 1);
                final Path filler = small.fill();
                // a rotation renames (no room needed), and its compression finds no room
                int sessions = 0;
                while (niolb.out().stream().noneMatch(l -> l.contains("access log: cannot compress a rotated file"))) {
                    assertThat(sessions++).as("sessions before a compression failed: %s", niolb).isLessThan(500);
                    session(port);
                }
                assertThat(Archives.plain(file)).as("the rotated lines, kept uncompressed").isNotEmpty()
                    .allSatisfy(plain -> assertThat(Files.readAllLines(plain)).isNotEmpty());

                Files.delete(filler);
                final long deadline = System.nanoTime() + START.toNanos();
                while (niolb.out().stream().noneMatch(l -> l.contains("access log: rotated files compressed again"))) {
                    assertThat(System.nanoTime()).as("compressed again within %s: %s", START, niolb).isLessThan(deadline);
                    session(port); // lines to fill 1k: the next rotation compresses what waited
                    Thread.sleep(20); // a pace, so that the lines do not fill the 64 KiB again; the log line is the event
                }
                dev.niolb.testing.Await.until(() -> Archives.plain(file).isEmpty(), START.toMillis());
                // every line is in a file or counted lost (give or take one written in part as the disk filled)
                final String[] last = {""};
                try {
                    dev.niolb.testing.Await.until(() -> {
                        final String metrics = api.get("/metrics").body();
                        final long inFiles = Archives.lines(file);
                        final long lost = metric(metrics, "niolb_access_log_lost_total");
                        final long logged = metric(metrics, "niolb_access_log_lines_total");
                        last[0] = inFiles + " in files + " + lost + " lost against " + logged + " logged; files "
                            + Archives.describe(file);
                        return Math.abs(inFiles + lost - logged) <= 1;
                    }, START.toMillis());
                } catch (final AssertionError e) {
                    throw new AssertionError("lines not all accounted for: " + last[0] + "; niolb said "
                        + niolb.out().stream().filter(l -> !l.contains("127.0.0.1:")).toList(), e);
                }
                assertThat(niolb.out()).filteredOn(l -> l.contains("cannot compress")).as("said once").hasSize(1);
                niolb.signal("TERM");
                assertThat(niolb.awaitExit(START)).isZero();
            }
        }
    }

    @Test
    void checkRefusesAnAccessLogOnADiskRunCannotWriteAsRunDoes(@TempDir final Path dir) throws Exception {
        // check said valid, run then exited 78 (black-box testing, session 29: a directory of root's, as nobody)
        try (SmallDisk readOnly = SmallDisk.mount(dir, "ro,size=64k")) {
            final Path file = readOnly.path().resolve("logs/access.log");
            final Path config = Files.writeString(dir.resolve("niolb.yaml"), "defaults:\n  access-log: plain\n"
                + "  access-log-file: " + file + "\nadmin:\n  address: none\nlisteners:\n  - bind: 127.0.0.1:0\n"
                + "groups:\n  - name: default\n    servers: [127.0.0.1:9]\n");
            try (NiolbProcess check = NiolbProcess.start("check", "-q", "--config", config.toString())) {
                assertThat(check.awaitExit(START)).isEqualTo(1);
                assertThat(check.err()).containsExactly("niolb: cannot write the access log to " + file
                    + ": read-only file system (in " + readOnly.path() + ")");
            }
            try (NiolbProcess run = NiolbProcess.start("run", "--config", config.toString())) {
                assertThat(run.awaitExit(START)).isEqualTo(78);
                assertThat(run.err()).singleElement().asString()
                    .startsWith("niolb: cannot write the access log to " + file + ": ");
            }
        }
    }

    /** The access log's rotated files beside it, compressed or not. */
    private static final class Archives {
        static List<Path> plain(final Path file) throws IOException {
            try (Stream<Path> files = Files.list(file.getParent())) {
                return files.filter(p -> p.getFileName().toString().matches(
                    java.util.regex.Pattern.quote(file.getFileName().toString()) + "\\.\\d{4}-\\d{2}-\\d{2}\\.\\d+")).toList();
            }
        }

        /** Access lines in the active file and every archive (a plain one whose .gz is in place counted once). */
        /** Each file beside {@code file} (its own included) with its size, for a failure message. */
        static String describe(final Path file) throws IOException {
            try (Stream<Path> files = Files.list(file.getParent())) {
                return files.sorted().map(p -> {
                    try {
                        return p.getFileName() + " " + Files.size(p) + " B";
                    } catch (final IOException e) {
                        return p.getFileName() + " (" + e.getMessage() + ")";
                    }
                }).toList().toString();
            }
        }

        static long lines(final Path file) throws IOException {
            long lines = accessLines(file);
            for (final List<String> rotated : Logs.read(file).rotated()) {
                lines += rotated.stream().filter(l -> l.contains("127.0.0.1")).count();
            }
            for (final Path plain : plain(file)) {
                if (!Files.exists(plain.resolveSibling(plain.getFileName() + ".gz"))) {
                    lines += accessLines(plain);
                }
            }
            return lines;
        }

        /** 0 for a file renamed or compressed an instant ago: too few, and the caller looks again. */
        private static long accessLines(final Path file) throws IOException {
            try {
                return Files.readAllLines(file).stream().filter(l -> l.contains("127.0.0.1")).count();
            } catch (final NoSuchFileException gone) {
                return 0;
            }
        }
    }

    @Test
    void afterLogrotateRenamesTheFileSigusr1OrSighupReopensItAtItsPath(@TempDir final Path dir) throws Exception {
        final Path file = dir.resolve("access.log");
        try (EchoServer echo = new EchoServer("hi");
             NiolbProcess niolb = niolb(RunProcessTest.hostPort(echo), "--access-log", "plain",
                 "--access-log-file", file.toString())) {
            final int port = niolb.awaitListeningPort();
            session(port);
            int inFile = 1;
            for (final String signal : List.of("USR1", "HUP")) {
                awaitLines(file, inFile);
                final Path rotated = dir.resolve("access.log." + signal);
                Files.move(file, rotated); // logrotate's default: rename, then signal the process
                niolb.signal(signal);
                niolb.awaitOut("access log reopened \\(SIG" + signal + "\\): " + file, START);

                session(port);
                awaitLines(file, 1);
                assertThat(Files.readAllLines(rotated)).as("the renamed file keeps what came before").hasSize(inFile);
                session(port);
                inFile = 2;
            }
            awaitLines(file, 2);
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(START)).isZero();
        }
    }

    @Test
    void afterAReopenTheSizeRolloverCountsTheNewFileOnly(@TempDir final Path dir) throws Exception {
        final Path file = dir.resolve("access.log");
        try (EchoServer echo = new EchoServer("hi");
             NiolbProcess niolb = niolb(RunProcessTest.hostPort(echo), "--access-log", "plain",
                 "--access-log-file", file.toString(), "--access-log-max-size", "1k")) {
            final int port = niolb.awaitListeningPort();
            for (int i = 0; i < 6; i++) { // about 750 bytes: below 1k
                session(port);
            }
            awaitLines(file, 6);
            Files.move(file, dir.resolve("access.log.1"));
            niolb.signal("USR1");
            niolb.awaitOut("access log reopened \\(SIGUSR1\\): " + file, START);
            for (int i = 0; i < 4; i++) { // 500 bytes more: past 1k only if the old file's bytes still counted
                session(port);
            }
            awaitLines(file, 4);
            try (Stream<Path> files = Files.list(dir)) {
                assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
                    .as("no size rollover of a new file of 500 bytes").containsExactly("access.log", "access.log.1");
            }
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(START)).isZero();
        }
    }

    /** Waits until {@code file} holds {@code lines} lines. */
    private static long metric(final String metrics, final String name) {
        final java.util.regex.Matcher m = java.util.regex.Pattern.compile("\n" + name + " (\\d+)\n").matcher(metrics);
        assertThat(m.find()).as("%s in %s", name, metrics).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static void awaitLines(final Path file, final int lines) throws Exception {
        final long deadline = System.nanoTime() + START.toNanos();
        while (!Files.exists(file) || Files.readAllLines(file).size() < lines) {
            assertThat(System.nanoTime()).as("%d lines in %s", lines, file).isLessThan(deadline);
            Thread.sleep(20);
        }
        assertThat(Files.readAllLines(file)).hasSize(lines);
    }

    @Test
    void archivesOlderThanTheHistoryKeptAreDeletedAndNewerOnesStay(@TempDir final Path dir) throws Exception {
        final Path file = dir.resolve("access.log");
        final LocalDate today = LocalDate.now();
        final Path old = Files.writeString(dir.resolve("access.log." + today.minusDays(3) + ".0.gz"), "");
        final Path kept = Files.writeString(dir.resolve("access.log." + today.minusDays(2) + ".0.gz"), "");
        try (NiolbProcess niolb = niolb("127.0.0.1:9", "--access-log", "plain",
                 "--access-log-file", file.toString(), "--access-log-max-history", "2")) {
            niolb.awaitListeningPort();
            final long deadline = System.nanoTime() + START.toNanos();
            while (Files.exists(old)) {
                assertThat(System.nanoTime()).as("%s deleted at start", old).isLessThan(deadline);
                Thread.sleep(50);
            }
            assertThat(kept).exists();
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(START)).isZero();
        }
    }

    @Test
    void anAccessLogFileThatCannotBeWrittenIsOneLineAndExitCode78(@TempDir final Path dir) throws Exception {
        final Path notADirectory = Files.writeString(dir.resolve("file"), "");
        try (NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--server", "127.0.0.1:9",
            "--admin", "none", "--access-log", "plain", "--access-log-file", notADirectory + "/access.log")) {
            assertThat(niolb.awaitExit(START)).as("EX_CONFIG: no restart mends it").isEqualTo(78);
            assertThat(niolb.err()).singleElement().asString().isEqualTo("niolb: cannot write the access log to "
                + notADirectory + "/access.log: " + notADirectory + " is not a directory");
        }
    }

    @Test
    void aDeviceOrASymbolicLinkAsTheAccessLogFileIsRefusedAndLeftAsItWas(@TempDir final Path dir) throws Exception {
        // its rotation would rename /dev/null (or /dev/stdout) away, at start already for a file of an earlier day
        try (NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--server", "127.0.0.1:9",
            "--admin", "none", "--access-log", "plain", "--access-log-file", "/dev/null")) {
            assertThat(niolb.awaitExit(START)).as("EX_CONFIG: no restart mends it").isEqualTo(78);
            assertThat(niolb.err()).singleElement().asString().isEqualTo("niolb: cannot write the access log to "
                + "/dev/null: not a regular file (rotation renames it); for standard output leave access-log-file out");
        }
        assertThat(Files.isRegularFile(Path.of("/dev/null"))).isFalse();
        assertThat(Files.exists(Path.of("/dev/null"))).isTrue();

        final Path target = Files.writeString(dir.resolve("real.log"), "");
        final Path link = Files.createSymbolicLink(dir.resolve("access.log"), target);
        try (NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--server", "127.0.0.1:9",
            "--admin", "none", "--access-log", "plain", "--access-log-file", link.toString())) {
            assertThat(niolb.awaitExit(START)).as("EX_CONFIG: no restart mends it").isEqualTo(78);
            assertThat(niolb.err()).singleElement().asString().startsWith("niolb: cannot write the access log to "
                + link + ": a symbolic link");
        }
        assertThat(Files.isSymbolicLink(link)).isTrue();
    }

    @Test
    void bothLogsReachASyslogReceiverAsRfc5424Datagrams() throws Exception {
        try (DatagramSocket receiver = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             EchoServer echo = new EchoServer("hi");
             NiolbProcess niolb = niolb(RunProcessTest.hostPort(echo), "--access-log", "plain",
                 "--syslog", "udp://127.0.0.1:" + receiver.getLocalPort(), "--syslog-facility", "local3")) {
            // <PRI>1 TIMESTAMP HOST APP PROCID MSGID - MSG; local3 (19) * 8 + info (6) = 158
            final String header = "<158>1 \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z \\S+ niolb " + niolb.pid();
            final String started = receive(receiver, niolb, header + " run - listening on tcp://127\\.0\\.0\\.1:\\d+;.*");
            final int port = Integer.parseInt(started.replaceFirst(".*listening on tcp://127\\.0\\.0\\.1:(\\d+);.*", "$1"));

            session(port);

            receive(receiver, niolb, header + " access - 127\\.0\\.0\\.1:\\d+ \\[\\S+Z] tcp .* client_close");
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(START)).isZero();
        }
    }

    @Test
    void bothLogsReachAUnixDatagramSocketAsRfc5424Messages(@TempDir final Path dir) throws Exception {
        final Path devLog = dir.resolve("log.sock");
        try (UnixDatagramSocket receiver = UnixDatagramSocket.bind(devLog);
             EchoServer echo = new EchoServer("hi");
             NiolbProcess niolb = niolb(RunProcessTest.hostPort(echo), "--access-log", "json",
                 "--syslog", "unix:" + devLog)) {
            final Datagrams datagrams = () -> {
                final byte[] d = receiver.receive(65_536, 1000);
                return d == null ? null : new String(d, StandardCharsets.UTF_8);
            };
            // daemon (3) * 8 + info (6) = 30
            final String header = "<30>1 \\S+Z \\S+ niolb " + niolb.pid();
            final String started = receive(datagrams, niolb, header + " run - listening on tcp://127\\.0\\.0\\.1:\\d+;.*");
            final int port = Integer.parseInt(started.replaceFirst(".*listening on tcp://127\\.0\\.0\\.1:(\\d+);.*", "$1"));

            session(port);

            receive(datagrams, niolb, header + " access - \\{\"time\":.*\"termination\":\"client_close\"}");
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(START)).isZero();
        }
    }

    @Test
    void accessLinesAClosedStandardOutputCannotTakeAreCountedLostAndSaidOnce() throws Exception {
        // stdout a pipe whose reading end is closed before niolb starts, as behind "| head" once head has exited:
        // every write fails (EPIPE); the ports are fixed, since niolb's own start line goes there too
        final List<String> closedStdout = List.of("python3", "-c", "import os,sys; r,w=os.pipe(); os.close(r); "
            + "os.dup2(w,1); os.execvp(sys.argv[1], sys.argv[1:])");
        final int admin = dev.niolb.testing.Ports.freeForTcpAndUdp();
        final int port = dev.niolb.testing.Ports.freeForTcpAndUdp();
        try (EchoServer echo = new EchoServer("hi");
             NiolbProcess niolb = NiolbProcess.start(closedStdout, "run", "--listen", "127.0.0.1:" + port,
                 "--threads", "1", "--server", RunProcessTest.hostPort(echo), "--admin", "127.0.0.1:" + admin,
                 "--access-log", "plain")) {
            final Http api = new Http(new InetSocketAddress("127.0.0.1", admin));
            dev.niolb.testing.Await.until(() -> { // up once its admin API answers: no start line to wait for
                try {
                    return api.get("/ready").statusCode() == 200;
                } catch (final IOException notYet) {
                    return false;
                }
            }, START.toMillis());

            for (int i = 0; i < 3; i++) {
                session(port);
            }

            niolb.awaitErr("^niolb: the access log cannot be written to standard output \\(.*\\): its lines are lost, "
                + "counted in niolb_access_log_lost_total$", START);
            dev.niolb.testing.Await.until(() -> metric(api.get("/metrics").body(), "niolb_access_log_lines_total") == 3,
                START.toMillis());
            final String metrics = api.get("/metrics").body();
            assertThat(metric(metrics, "niolb_access_log_lost_total")).isEqualTo(3);
            assertThat(metric(metrics, "niolb_access_log_dropped_total")).isZero();
            assertThat(niolb.err()).as("once for the run of failures").hasSize(1);
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(START)).isZero();
        }
    }

    @Test
    void accessLinesASyslogSocketNobodyReadsCannotTakeAreCountedLostAndHoldNoOtherOutputBack(@TempDir final Path dir)
        throws Exception {
        final Path devLog = dir.resolve("log.sock");
        try (UnixDatagramSocket unread = UnixDatagramSocket.bind(devLog);
             EchoServer echo = new EchoServer("hi");
             NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--threads", "1",
                 "--server", RunProcessTest.hostPort(echo), "--admin", "127.0.0.1:0", "--access-log", "plain",
                 "--syslog", "unix:" + devLog)) {
            final Http api = new Http(new InetSocketAddress("127.0.0.1", Integer.parseInt(niolb.awaitOut(
                "admin API and stats page on http://127\\.0\\.0\\.1:(\\d+)/", START).group(1))));
            final int port = niolb.awaitListeningPort();

            // the socket's queue (net.unix.max_dgram_qlen datagrams) fills; every line past it is lost to syslog
            // at once, and standard output gets every one (a send that waited let one a second through)
            final int sessions = 50;
            for (int i = 0; i < sessions; i++) {
                session(port);
            }
            dev.niolb.testing.Await.until(() -> niolb.out().stream().filter(l -> l.contains(" client_close")).count()
                == sessions, START.toMillis());
            final long lost = metric(api.get("/metrics").body(), "niolb_access_log_lost_total");
            assertThat(lost).as("lines past the socket's queue").isPositive().isLessThanOrEqualTo(sessions);
            niolb.awaitErr("^niolb: syslog to unix:.*; access log lines are dropped until it takes them .*$", START);
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(START)).isZero();
        }
    }

    @Test
    void aSyslogSocketThatIsNotThereIsSaidOnStderrOnce(@TempDir final Path dir) throws Exception {
        final Path nowhere = dir.resolve("no-such.sock");
        try (EchoServer echo = new EchoServer("hi");
             NiolbProcess niolb = niolb(RunProcessTest.hostPort(echo), "--syslog", "unix:" + nowhere)) {
            niolb.awaitErr("^niolb: syslog to unix:" + java.util.regex.Pattern.quote(nowhere.toString())
                + ": .*; log lines are dropped until it answers$", START);
            niolb.signal("TERM");
            assertThat(niolb.awaitExit(START)).isZero();
            assertThat(niolb.err()).as("once for the run of failures").hasSize(1);
        }
    }

    /** The next datagram's text, or null when none came within a second. */
    private interface Datagrams {
        String next() throws IOException;
    }

    private static String receive(final DatagramSocket socket, final NiolbProcess niolb, final String regex)
        throws IOException {
        socket.setSoTimeout(1000);
        final byte[] buffer = new byte[65_536];
        return receive(() -> {
            final DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                socket.receive(packet);
            } catch (final SocketTimeoutException e) {
                return null;
            }
            return new String(packet.getData(), 0, packet.getLength(), StandardCharsets.UTF_8);
        }, niolb, regex);
    }

    /** The first datagram whose text matches {@code regex}, waiting for it up to {@link #START}. */
    private static String receive(final Datagrams datagrams, final NiolbProcess niolb, final String regex)
        throws IOException {
        final long deadline = System.nanoTime() + START.toNanos();
        final List<String> seen = new ArrayList<>();
        while (System.nanoTime() - deadline < 0) {
            final String text = datagrams.next();
            if (text == null) {
                continue;
            }
            if (text.matches(regex)) {
                return text;
            }
            seen.add(text);
        }
        throw new AssertionError("no datagram matching /" + regex + "/; received " + seen + "\n" + niolb);
    }

    /** The access log's active file and its rotated, gzipped files, each as lines. */
    private record Logs(List<String> active, List<List<String>> rotated) {
        static Logs read(final Path file) throws IOException {
            List<String> active;
            try {
                active = Files.readAllLines(file);
            } catch (final NoSuchFileException notThere) {
                // not created yet, or renamed by a rotation an instant ago and not created again: read again on
                // the next look (checking that it exists first left that instant open; seen under stress-ng)
                active = List.of();
            }
            final List<List<String>> rotated = new ArrayList<>();
            if (Files.isDirectory(file.getParent())) {
                try (Stream<Path> files = Files.list(file.getParent())) {
                    for (final Path gz : files.filter(p -> p.getFileName().toString().endsWith(".gz")).sorted().toList()) {
                        try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
                            rotated.add(new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList());
                        } catch (final EOFException stillBeingWritten) {
                            // compressed in the background: read again on the next look
                        }
                    }
                }
            }
            return new Logs(active, rotated);
        }

        int total() {
            return active.size() + rotated.stream().mapToInt(List::size).sum();
        }
    }
}
