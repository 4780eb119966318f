package dev.niolb.bench.harness.target;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts the proxies under test as child processes from generated configurations in {@code dir}, and
 * waits until each accepts connections. Each returned {@link RunningTarget} owns its process; close it.
 */
public final class Launchers {

    /**
     * The default niolb command; {@code {java} {project} {listen} {server} {threads}} are filled in, and the word
     * {@code {udp-listen}} becomes {@code --listen udp://HOST:PORT} (or nothing when niolb can have no UDP
     * listener). The JVM options are the ones the {@code ./niolb} launcher ships with; the backlog matches the
     * peers' 4096.
     */
    public static final String NIOLB_COMMAND = "{java} -Xms64m -Xmx512m -XX:MaxDirectMemorySize=512m -XX:+UseZGC"
        + " -XX:+UseCompactObjectHeaders"
        + " --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --enable-native-access=ALL-UNNAMED"
        + " -cp {project}/lb-cli/target/lb-cli.jar:{project}/lb-cli/target/lib/*"
        + " dev.niolb.cli.Main run --listen {listen} {udp-listen} --server {server} --threads {threads} --backlog 4096";
    private static final String UDP_LISTEN = "{udp-listen}";
    /** What niolb's UDP listener is sized for under the harness: far more than any scenario's flows. */
    static final int UDP_MAX_FLOWS = 256;

    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    private Launchers() {
    }

    /** HAProxy without splicing: the {@code haproxy} peer. */
    public static RunningTarget haproxy(final Path binary, final Path dir, final int threads,
                                        final InetSocketAddress backend, final int maxconn) throws IOException {
        return haproxy("haproxy", binary, dir, threads, backend, maxconn, 0);
    }

    /**
     * HAProxy splicing both directions ({@code option splice-request}, {@code splice-response}) with at most
     * {@code pipes} kernel pipes: the {@code haproxy-splice} peer, otherwise configured exactly as
     * {@link #haproxy(Path, Path, int, InetSocketAddress, int)}.
     */
    public static RunningTarget haproxySplice(final Path binary, final Path dir, final int threads,
                                              final InetSocketAddress backend, final int maxconn, final int pipes)
        throws IOException {
        if (pipes < 1) {
            throw new IllegalArgumentException("a splicing HAProxy needs at least one pipe, was " + pipes);
        }
        return haproxy("haproxy-splice", binary, dir, threads, backend, maxconn, pipes);
    }

    private static RunningTarget haproxy(final String name, final Path binary, final Path dir, final int threads,
                                         final InetSocketAddress backend, final int maxconn, final int pipes)
        throws IOException {
        final InetSocketAddress listen = Ports.freeTcp(backend.getAddress());
        final Path config = write(dir.resolve(name + ".cfg"),
            new HaproxyConfig(threads, listen, backend, maxconn, pipes).render());
        final ManagedProcess process = ManagedProcess.start(name,
            List.of(binary.toString(), "-db", "-f", config.toString()), dir.resolve(name + ".log"));
        return started(process, new Target(name, Target.Role.PEER, listen, null, process.pid(),
            "no udp listener (HAProxy 2.6 community proxies no UDP)"), listen);
    }

    public static RunningTarget nginx(final Path binary, final Path dir, final int workers,
                                      final InetSocketAddress backend, final InetSocketAddress udpBackend,
                                      final int workerConnections) throws IOException {
        final InetAddress host = backend.getAddress();
        final InetSocketAddress listen = Ports.freeTcp(host);
        final InetSocketAddress udpListen = udpBackend == null ? null : Ports.freeUdp(host);
        final Path config = write(dir.resolve("nginx.conf"), nginxConfig(dir, workers, listen, backend, udpListen,
            udpBackend, workerConnections).render());
        final ManagedProcess process = ManagedProcess.start("nginx", nginxCommand(binary, dir, config, false),
            dir.resolve("nginx.log"));
        return started(process, new Target("nginx", Target.Role.PEER, listen, udpListen, process.pid(),
            udpListen == null ? "no udp backend" : null), listen);
    }

    /** The nginx configuration the harness runs, loading Debian's stream module when it is there. */
    public static NginxConfig nginxConfig(final Path dir, final int workers, final InetSocketAddress listen,
                                          final InetSocketAddress backend, final InetSocketAddress udpListen,
                                          final InetSocketAddress udpBackend, final int workerConnections) {
        final Path module = Files.exists(NginxConfig.DEBIAN_STREAM_MODULE) ? NginxConfig.DEBIAN_STREAM_MODULE : null;
        return new NginxConfig(workers, listen, backend, udpListen, udpBackend, workerConnections, dir, module);
    }

    /** {@code nginx -p DIR -e LOG -c CONF}, with {@code -t} to only test the configuration. */
    public static List<String> nginxCommand(final Path binary, final Path dir, final Path config, final boolean test) {
        final List<String> command = new ArrayList<>(List.of(binary.toString()));
        if (test) {
            command.add("-t");
        }
        command.addAll(List.of("-p", dir.toString(), "-e", dir.resolve("nginx-error.log").toString(),
            "-c", config.toString()));
        return command;
    }

    /**
     * Starts niolb from a command template.
     *
     * @param template   words separated by spaces; {@code {java} {project} {listen} {server} {threads}} are
     *                   replaced in each word (so paths with spaces survive), and the word {@code {udp-listen}}
     *                   by a UDP listener's flag when there can be one
     * @param udpBackend the backend's UDP echo; niolb's one server list serves both protocols, so it gets a UDP
     *                   listener only when this has the TCP backend's port number
     */
    public static RunningTarget niolb(final String template, final Path java, final Path project, final Path dir,
                                      final int threads, final InetSocketAddress backend,
                                      final InetSocketAddress udpBackend) throws IOException {
        final InetSocketAddress listen = Ports.freeTcp(backend.getAddress());
        final boolean udpPossible = udpBackend != null && udpBackend.getPort() == backend.getPort()
            && template.contains(UDP_LISTEN);
        final InetSocketAddress udpListen = udpPossible ? Ports.freeUdp(backend.getAddress()) : null;
        final List<String> command = expand(withUdpListen(template, udpListen), Map.of(
            "{java}", java.toString(),
            "{project}", project.toString(),
            "{listen}", Target.format(listen),
            "{server}", Target.format(backend),
            "{threads}", Integer.toString(threads)));
        final ManagedProcess process = ManagedProcess.start("niolb", command, dir.resolve("niolb.log"));
        return started(process, new Target("niolb", Target.Role.SUBJECT, listen, udpListen, process.pid(),
            udpListen != null ? null : udpBackend == null ? "no udp backend"
                : !template.contains(UDP_LISTEN) ? "no {udp-listen} in --niolb-cmd"
                : "no udp listener (the backend's UDP port differs from its TCP port)"), listen);
    }

    /** The template with its {@code {udp-listen}} word replaced by niolb's UDP listener flag, or removed. */
    static String withUdpListen(final String template, final InetSocketAddress udpListen) {
        final List<String> words = new ArrayList<>();
        for (String word : template.strip().split("\\s+")) {
            if (!word.equals(UDP_LISTEN)) {
                words.add(word);
            } else if (udpListen != null) {
                words.add("--listen");
                words.add("udp://" + Target.format(udpListen));
                // the UDP scenario's few flows: at its default cap (half the open-file limit since session 27) the
                // listener took half the descriptors from TCP, and the idle scenario held 4,921 connections
                // where it opened 9,872, so its bytes per connection were per connection opened, not held
                words.add("--udp-max-flows");
                words.add(Integer.toString(UDP_MAX_FLOWS));
            }
        }
        return String.join(" ", words);
    }

    static List<String> expand(final String template, final Map<String, String> values) {
        final List<String> words = new ArrayList<>();
        for (String word : template.strip().split("\\s+")) {
            String expanded = word;
            for (Map.Entry<String, String> value : values.entrySet()) {
                expanded = expanded.replace(value.getKey(), value.getValue());
            }
            words.add(expanded);
        }
        return words;
    }

    private static RunningTarget started(final ManagedProcess process, final Target target,
                                         final InetSocketAddress listen) throws IOException {
        try {
            process.awaitListening(listen, START_TIMEOUT);
        } catch (IOException e) {
            process.close();
            throw e;
        }
        return new RunningTarget(target, process);
    }

    private static Path write(final Path file, final String text) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.writeString(file, text, StandardCharsets.UTF_8);
    }
}
