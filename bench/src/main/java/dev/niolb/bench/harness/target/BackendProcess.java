package dev.niolb.bench.harness.target;

import dev.niolb.bench.harness.backend.BackendMain;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The harness backend ({@link BackendMain}) in a child JVM, so its CPU time and garbage collection stay
 * apart from the load generator's and can be read from {@code /proc}. The child exits when its standard
 * input closes, so it cannot outlive the harness; {@link #close()} also stops it by PID.
 */
public final class BackendProcess implements AutoCloseable {

    private final Process process;
    private final InetSocketAddress tcp;
    private final InetSocketAddress udp;

    private BackendProcess(final Process process, final InetSocketAddress tcp, final InetSocketAddress udp) {
        this.process = process;
        this.tcp = tcp;
        this.udp = udp;
    }

    public static BackendProcess start(final Path java, final InetAddress host, final int tcpPort, final int udpPort,
                                       final int threads, final Path log) throws IOException {
        Files.createDirectories(log.getParent());
        final List<String> command = List.of(java.toString(), "-Xms256m", "-Xmx512m", "-XX:+UseSerialGC",
            "-cp", System.getProperty("java.class.path"), BackendMain.class.getName(),
            host.getHostAddress(), Integer.toString(tcpPort), Integer.toString(udpPort), Integer.toString(threads));
        final Process process = new ProcessBuilder(command)
            .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
        final BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
        final String ready = out.readLine();
        if (ready == null || !ready.startsWith("READY ")) {
            process.destroyForcibly();
            throw new IOException("backend did not start (" + ready + "); see " + log);
        }
        int tcp = -1;
        int udp = -1;
        for (String word : ready.substring(6).split(" ")) {
            if (word.startsWith("tcp=")) {
                tcp = Integer.parseInt(word.substring(4));
            } else if (word.startsWith("udp=")) {
                udp = Integer.parseInt(word.substring(4));
            }
        }
        return new BackendProcess(process, new InetSocketAddress(host, tcp), new InetSocketAddress(host, udp));
    }

    public InetSocketAddress tcpAddress() {
        return tcp;
    }

    public InetSocketAddress udpAddress() {
        return udp;
    }

    public long pid() {
        return process.pid();
    }

    @Override
    public void close() {
        try {
            process.getOutputStream().close();
            if (!process.waitFor(3, TimeUnit.SECONDS)) {
                process.destroy();
                if (!process.waitFor(3, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        } catch (IOException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
