package dev.niolb.bench.harness.soak;

import dev.niolb.bench.harness.target.ManagedProcess;
import dev.niolb.bench.harness.target.Ports;
import dev.niolb.bench.harness.target.Target;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * niolb under soak: a child process with a TCP and a UDP listener in front of the soak's servers, active TCP
 * checks every 500 ms (rise 2, fall 2), short UDP flows. Started from command-line flags, or from a config
 * file when reloads are on ({@code run --config FILE}); a reload rewrites the file with a new server set and
 * sends SIGHUP. Stopped by its PID ({@link ManagedProcess}).
 */
final class SoakNiolb implements AutoCloseable {
    private final ManagedProcess process;
    private final InetSocketAddress tcp;
    private final InetSocketAddress udp;
    private final Path configFile;
    private final int threads;

    private SoakNiolb(final ManagedProcess process, final InetSocketAddress tcp, final InetSocketAddress udp,
                      final Path configFile, final int threads) {
        this.process = process;
        this.tcp = tcp;
        this.udp = udp;
        this.configFile = configFile;
        this.threads = threads;
    }

    /**
     * @param prefix  the command up to and without {@code run} (a JVM and niolb's main class)
     * @param config  a config file to start from (so it can be reloaded), or null for flags
     */
    static SoakNiolb start(final List<String> prefix, final Path dir, final InetAddress host, final int threads,
                           final List<SoakServer> servers, final Path config) throws IOException {
        final InetSocketAddress tcp = Ports.freeTcp(host);
        final InetSocketAddress udp = Ports.freeUdp(host);
        final List<String> command = new ArrayList<>(prefix);
        command.add("run");
        if (config != null) {
            Files.writeString(config, yaml(tcp, udp, threads, servers), StandardCharsets.UTF_8);
            command.addAll(List.of("--config", config.toString()));
        } else {
            command.addAll(List.of("--listen", Target.format(tcp), "--listen", "udp://" + Target.format(udp),
                "--threads", Integer.toString(threads), "--grace", "1s", "--connect-timeout", "1s",
                "--idle-timeout", "2m", "--check", "tcp", "--check-interval", "500ms", "--check-timeout", "400ms",
                "--rise", "2", "--fall", "2", "--udp-idle-timeout", "2s"));
            for (final SoakServer s : servers) {
                command.addAll(List.of("--server", serverSpec(s)));
            }
        }
        final ManagedProcess process = ManagedProcess.start("niolb", command, dir.resolve("niolb.log"));
        try {
            process.awaitListening(tcp, Duration.ofSeconds(30));
        } catch (final IOException e) {
            process.close();
            throw e;
        }
        return new SoakNiolb(process, tcp, udp, config, threads);
    }

    /** The config file the soak writes for niolb: the same settings as the flags. */
    static String yaml(final InetSocketAddress tcp, final InetSocketAddress udp, final int threads,
                       final List<SoakServer> servers) {
        final StringBuilder y = new StringBuilder()
            .append("# written by niolb-bench soak\n")
            .append("defaults:\n")
            .append("  threads: ").append(threads).append('\n')
            .append("  grace: 1s\n")
            .append("  connect-timeout: 1s\n")
            .append("  idle-timeout: 2m\n")
            .append("  udp-idle-timeout: 2s\n")
            .append("  check-interval: 500ms\n")
            .append("  check-timeout: 400ms\n")
            .append("  rise: 2\n")
            .append("  fall: 2\n")
            .append("listeners:\n")
            .append("  - name: tcp\n")
            .append("    bind: ").append(Target.format(tcp)).append('\n')
            .append("    group: soak\n")
            .append("  - name: udp\n")
            .append("    bind: udp://").append(Target.format(udp)).append('\n')
            .append("    group: soak\n")
            .append("groups:\n")
            .append("  - name: soak\n")
            .append("    checks:\n")
            .append("      - tcp\n")
            .append("    servers:\n");
        for (final SoakServer s : servers) {
            y.append("      - ").append(serverSpec(s)).append('\n');
        }
        return y.toString();
    }

    private static String serverSpec(final SoakServer s) {
        return Target.format(s.address()) + ",name=" + s.name();
    }

    /** Rewrites the config file with {@code servers} and sends SIGHUP. */
    void reload(final List<SoakServer> servers) throws IOException, InterruptedException {
        if (configFile == null) {
            throw new IllegalStateException("started from flags: nothing to reload");
        }
        final Path next = configFile.resolveSibling(configFile.getFileName() + ".next");
        Files.writeString(next, yaml(tcp, udp, threads, servers), StandardCharsets.UTF_8);
        Files.move(next, configFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        final Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(process.pid()))
            .redirectErrorStream(true).start();
        final String out = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -HUP " + process.pid() + " failed: " + out);
        }
    }

    long pid() {
        return process.pid();
    }

    InetSocketAddress tcp() {
        return tcp;
    }

    InetSocketAddress udp() {
        return udp;
    }

    boolean alive() {
        return process.alive();
    }

    String logTail() {
        return process.logTail();
    }

    @Override
    public void close() {
        process.close();
    }
}
