package dev.niolb.cli;

import dev.niolb.testing.Signals;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code niolb ARGS} as a real child process: the test JVM's own java and class path, so that signals, exit
 * codes and {@code System.exit} are the real thing. stdout and stderr are collected line by line.
 */
final class NiolbProcess implements AutoCloseable {
    private final Process process;
    private final List<String> out = new CopyOnWriteArrayList<>();
    private final List<String> err = new CopyOnWriteArrayList<>();
    private final Thread outCollector;
    private final Thread errCollector;
    private volatile boolean stdoutUnread;

    private NiolbProcess(final Process process) {
        this.process = process;
        outCollector = Thread.ofVirtual().start(() -> collect(process.getInputStream(), out, true));
        errCollector = Thread.ofVirtual().start(() -> collect(process.getErrorStream(), err, false));
    }

    /**
     * From the next line on, nobody reads niolb's stdout and the pipe stays open: once the kernel's pipe buffer is
     * full, every write to it blocks, as under a stalled log reader (docker's blocking log driver, a stuck
     * {@code | logger}).
     */
    void stopReadingStdout() {
        stdoutUnread = true;
    }

    /** Closes the reading end of niolb's stdout, as {@code | head -1} does when it exits: its writes then fail (EPIPE). */
    void closeStdout() throws IOException {
        process.getInputStream().close();
    }

    static NiolbProcess start(final String... args) throws IOException {
        return start(List.of(), args);
    }

    /** Starts niolb behind {@code prefix} (e.g. {@code nohup}, which starts it with SIGHUP ignored). */
    static NiolbProcess start(final List<String> prefix, final String... args) throws IOException {
        return start(prefix, List.of(), args);
    }

    /** Starts niolb behind {@code prefix}, its JVM given {@code jvmOptions} beside the tests' usual ones. */
    static NiolbProcess start(final List<String> prefix, final List<String> jvmOptions, final String... args)
        throws IOException {
        final List<String> command = new ArrayList<>(prefix);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of(
            // C1 only: a test's niolb lives for seconds, and C2 compiling its start-up took more CPU than the start
            // itself (1.8 s of CPU to "listening" against 1.1 s); the two cores are shared with the test
            "-Xmx128m", "-XX:TieredStopAtLevel=1",
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
            // the logging niolb ships, not the lb-core test jar's logback-test.xml that the test class path also has
            "-Dlogback.configurationFile=" + Main.class.getResource("/logback.xml"),
            "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        return new NiolbProcess(new ProcessBuilder(command).start());
    }

    private void collect(final InputStream stream, final List<String> lines, final boolean stdout) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                lines.add(line);
                while (stdout && stdoutUnread && process.isAlive()) {
                    Thread.sleep(50); // the pipe stays open and unread until the process has gone
                }
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (final IOException e) {
            // the process is gone
        }
    }

    /** Waits for a stdout line matching {@code regex} and returns the match, so that groups can be read. */
    Matcher awaitOut(final String regex, final Duration timeout) throws InterruptedException {
        return await(out, "stdout", regex, timeout);
    }

    /** As {@link #awaitOut}, on stderr. */
    Matcher awaitErr(final String regex, final Duration timeout) throws InterruptedException {
        return await(err, "stderr", regex, timeout);
    }

    private Matcher await(final List<String> lines, final String stream, final String regex, final Duration timeout)
        throws InterruptedException {
        final List<String> out = lines;
        final Pattern pattern = Pattern.compile(regex);
        final long deadline = System.nanoTime() + timeout.toNanos();
        int seen = 0;
        while (System.nanoTime() - deadline < 0) {
            for (; seen < out.size(); seen++) {
                final Matcher m = pattern.matcher(out.get(seen));
                if (m.find()) {
                    return m;
                }
            }
            if (!process.isAlive() && seen == out.size()) {
                break;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no " + stream + " line matching /" + regex + "/ within " + timeout + "\n" + this);
    }

    /** The port from the start-up line ({@code listening on tcp://127.0.0.1:40123; ...}). */
    int awaitListeningPort() throws InterruptedException {
        return Integer.parseInt(awaitOut("listening on tcp://127\\.0\\.0\\.1:(\\d+)", Duration.ofSeconds(20)).group(1));
    }

    /** The child's process id. */
    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Sends a signal by name ({@code TERM}, {@code INT}) with kill(1). */
    void signal(final String name) throws IOException, InterruptedException {
        Signals.send(process.pid(), name);
    }

    int awaitExit(final Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("still running after " + timeout + "\n" + this);
        }
        return process.exitValue();
    }

    /** stdout and stderr so far; once the process has exited, everything it wrote. */
    List<String> out() throws InterruptedException {
        drained();
        return List.copyOf(out);
    }

    List<String> err() throws InterruptedException {
        drained();
        return List.copyOf(err);
    }

    private void drained() throws InterruptedException {
        // the collectors may still be reading the last lines of a process that has just exited: they end at the
        // end of its streams (a child it left behind may hold them open, hence the bound)
        if (!process.isAlive()) {
            outCollector.join(Duration.ofSeconds(5));
            errCollector.join(Duration.ofSeconds(5));
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

    @Override
    public String toString() {
        return "--- niolb stdout ---\n" + String.join("\n", out) + "\n--- niolb stderr ---\n" + String.join("\n", err);
    }
}
