package dev.niolb.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real DNS server for tests: {@code dnsmasq} in the foreground on a loopback port, answering
 * {@code example.test} with {@value #EXAMPLE_ADDRESS} and {@code which.test} with a TXT record naming this
 * instance; no upstream, no hosts file, no config file. Stopped by its PID ({@link #close}).
 */
public final class Dnsmasq implements AutoCloseable {
    public static final String EXAMPLE_ADDRESS = "10.1.2.3";

    private final Process process;
    private final InetSocketAddress address;
    private final Path logFile;
    private boolean paused;

    private Dnsmasq(final Process process, final InetSocketAddress address, final Path logFile) {
        this.process = process;
        this.address = address;
        this.logFile = logFile;
    }

    /** The dnsmasq binary, if installed (it lives in /usr/sbin, often not on a user's PATH). */
    public static Optional<Path> binary() {
        for (final String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin").split(":")) {
            final Path p = Path.of(dir.isEmpty() ? "." : dir, "dnsmasq");
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Starts an instance whose {@code which.test} TXT record is {@code name}; returns once it answers. */
    public static Dnsmasq start(final Path binary, final String name, final Path dir) throws IOException,
        InterruptedException {
        return start(binary, name, dir, 0, List.of());
    }

    /**
     * Starts an instance as {@link #start(Path, String, Path)} does, on {@code port} (0: a free one), with more
     * options, such as {@code --addn-hosts=FILE} (re-read on {@link #reread()}) or {@code --srv-host=…}.
     */
    public static Dnsmasq start(final Path binary, final String name, final Path dir, final int fixedPort,
                                final List<String> options) throws IOException, InterruptedException {
        final int port = fixedPort != 0 ? fixedPort : Ports.freeForTcpAndUdp(); // dnsmasq binds TCP as well as UDP
        final Path log = dir.resolve(name + ".log");
        final List<String> command = new java.util.ArrayList<>(List.of(binary.toString(),
            "--no-daemon", "--port=" + port, "--listen-address=127.0.0.1", "--bind-interfaces",
            "--no-resolv", "--no-hosts", "--conf-file=/dev/null", "--user=" + System.getProperty("user.name"),
            "--pid-file=" + dir.resolve(name + ".pid"), "--log-facility=-",
            "--address=/example.test/" + EXAMPLE_ADDRESS, "--txt-record=which.test," + name));
        command.addAll(options);
        final Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        final Dnsmasq dns = new Dnsmasq(p, new InetSocketAddress("127.0.0.1", port), log);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IOException("dnsmasq exited with " + p.exitValue() + ": " + Files.readString(log));
            }
            if (DnsQuery.resolve(dns.address, "which.test", DnsQuery.TXT, 1, 100) != null) {
                return dns;
            }
        }
        dns.close();
        throw new IOException("dnsmasq did not answer within 10 s: " + Files.readString(log));
    }

    public InetSocketAddress address() {
        return address;
    }

    public long pid() {
        return process.pid();
    }

    /**
     * Sends SIGHUP to its PID: dnsmasq clears its cache and reads its hosts files ({@code --addn-hosts}) again.
     * Returns once it answers again.
     */
    public void reread() throws IOException, InterruptedException {
        signal("HUP");
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (DnsQuery.resolve(address, "which.test", DnsQuery.TXT, 1, 100) == null) {
            if (System.nanoTime() > deadline) {
                throw new IOException("dnsmasq did not answer after SIGHUP: " + Files.readString(logFile));
            }
        }
    }

    /**
     * Stops it answering (SIGSTOP to its PID) while its sockets stay bound: a resolver that is there but silent,
     * and a port no other process can take before {@link #resume()}.
     */
    public void pause() throws IOException, InterruptedException {
        signal("STOP");
        paused = true;
    }

    /** Lets it answer again (SIGCONT), first the queries that waited. */
    public void resume() throws IOException, InterruptedException {
        signal("CONT");
        paused = false;
    }

    private void signal(final String name) throws IOException, InterruptedException {
        Signals.send(process.pid(), name);
    }

    /** Stops it with SIGTERM to its PID and waits for it to exit. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (paused) {
            try {
                resume(); // a stopped process acts on its SIGTERM only once continued
            } catch (final IOException e) {
                process.destroyForcibly();
            }
        }
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Override
    public String toString() {
        return "dnsmasq pid " + process.pid() + " on " + address + " (log " + logFile + ")";
    }
}
