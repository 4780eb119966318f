package dev.niolb.bench.harness.target;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A child process the harness started (a proxy under test or the backend), its output in a log file.
 * {@link #close()} stops it by its own PID: SIGTERM, then SIGKILL after five seconds, and the same for
 * any descendant still alive (nginx workers). Threadsafe enough for one owner plus a shutdown hook.
 */
public final class ManagedProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path log;

    private ManagedProcess(final String name, final Process process, final Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /** Starts {@code command} with stdout and stderr appended to {@code log}. */
    public static ManagedProcess start(final String name, final List<String> command, final Path log) throws IOException {
        Files.createDirectories(log.getParent());
        Files.writeString(log, "$ " + String.join(" ", command) + System.lineSeparator(), StandardCharsets.UTF_8);
        final Process process = new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .redirectInput(ProcessBuilder.Redirect.PIPE)
            .start();
        return new ManagedProcess(name, process, log);
    }

    public long pid() {
        return process.pid();
    }

    public String name() {
        return name;
    }

    public boolean alive() {
        return process.isAlive();
    }

    /**
     * Waits until {@code address} accepts a TCP connection.
     *
     * @throws IOException naming the process and the end of its log if it exits or the time runs out
     */
    public void awaitListening(final InetSocketAddress address, final Duration timeout) throws IOException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IOException(name + " exited with " + process.exitValue() + " before listening on "
                    + Target.format(address) + ": " + logTail());
            }
            try (SocketChannel probe = SocketChannel.open(address)) {
                return;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new IOException(name + " did not listen on " + Target.format(address) + " within "
                        + timeout.toSeconds() + " s: " + logTail(), notYet);
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for " + name, e);
            }
        }
    }

    /** The last lines of the process's log, on one line. */
    public String logTail() {
        try {
            final List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 6), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        final List<ProcessHandle> descendants = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (ProcessHandle child : descendants) {
            if (child.isAlive()) {
                child.destroyForcibly();
            }
        }
    }
}
