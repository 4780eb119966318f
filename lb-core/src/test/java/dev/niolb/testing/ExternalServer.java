package dev.niolb.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real server from the system (nginx, haproxy …) started by a test in a folder of its own, on loopback ports the
 * test chose, and stopped by its PID. A test that needs a program that is not installed is skipped with the
 * reason ({@code .ci/install-test-deps} installs them).
 */
public final class ExternalServer implements AutoCloseable {
    private final Process process;
    private final Path log;
    private boolean killAtOnce;

    private ExternalServer(final Process process, final Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * Stop with SIGKILL rather than SIGTERM: for a program with nothing to save that takes long to stop (HAProxy
     * spends about two seconds on a SIGTERM).
     */
    public ExternalServer killAtOnce() {
        killAtOnce = true;
        return this;
    }

    /** The program's path on PATH or in the sbin folders; skips the test when it is not installed. */
    public static Path binary(final String name, final String packageName) {
        for (final String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/usr/local/sbin").split(":")) {
            final Path p = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        Assumptions.abort(name + " is not installed (apt-get install " + packageName
            + ", or run .ci/install-test-deps as root): skipping the test against a real " + name);
        return null;
    }

    /** Starts {@code command} in {@code dir}, its output to a log there, and waits until it listens on {@code port}. */
    public static ExternalServer start(final List<String> command, final Path dir, final int port) throws Exception {
        final Path log = Files.createTempFile(dir, "server-", ".log");
        final Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
            .redirectOutput(log.toFile()).start();
        final ExternalServer server = new ExternalServer(p, log);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new AssertionError(command.get(0) + " exited with " + p.exitValue() + ": " + server.output());
            }
            if (listening(port)) {
                return server;
            }
            Thread.sleep(20);
        }
        server.close();
        throw new AssertionError(command.get(0) + " not listening on " + port + " within 10 s: " + server.output());
    }

    /**
     * Whether a socket listens on the loopback port. Read from {@code /proc/net/tcp} where there is one, so that
     * the check opens no connection (a proxy would pass a probe connection on to its server); else a connect.
     */
    private static boolean listening(final int port) {
        final Path table = Path.of("/proc/net/tcp");
        if (Files.isReadable(table)) {
            final String portSuffix = String.format(":%04X", port);
            try {
                // columns: sl local_address rem_address st …; st 0A is LISTEN
                return Files.readAllLines(table).stream().skip(1).map(line -> line.strip().split("\\s+"))
                    .anyMatch(columns -> columns[1].endsWith(portSuffix) && columns[3].equals("0A"));
            } catch (final IOException e) {
                return false;
            }
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (final IOException notYet) {
            return false;
        }
    }

    /** What the program printed so far. */
    public String output() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8).strip();
    }

    /** SIGTERM to our own process, then SIGKILL after 5 s (or SIGKILL at once, see {@link #killAtOnce()}). */
    @Override
    public void close() throws InterruptedException {
        if (!process.isAlive()) {
            return;
        }
        if (killAtOnce) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            return;
        }
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
