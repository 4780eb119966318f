package dev.niolb.health;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.CheckSpec;
import dev.niolb.config.Config;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.backend.Server;
import dev.niolb.backend.ServerState;
import dev.niolb.testing.Ports;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks against real servers, started by the test on a loopback ephemeral port with a generated config in a
 * temporary folder and stopped by PID: {@code redis-server} for send/expect, {@code nginx} for http. Each
 * test is skipped when its server is not installed ({@code .ci/install-test-deps} installs both).
 */
@Timeout(value = 40, unit = TimeUnit.SECONDS)
@EveryTransport
class RealServersTest {
    private static final Duration INTERVAL = Duration.ofMillis(50);

    @RegisterExtension
    final EngineRig rig;

    @TempDir
    Path dir;
    private final List<Process> processes = new ArrayList<>();
    private LoadBalancer lb;

    RealServersTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    @Test
    void aSendExpectCheckTalksToARealRedisAndNoticesWhenItStops() throws Exception {
        final Path redis = binary("redis-server");
        final int port = Ports.freeForTcpAndUdp();
        final Process process = launch(List.of(redis.toString(), "--port", String.valueOf(port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--daemonize", "no"));
        awaitListening(port, process);
        final InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        lb = rig.start(twoGroups(address,
            CheckSpec.parse("send:PING,expect:+PONG"), CheckSpec.parse("send:PING,expect:+NOPE")));

        Rig.await("the wrong expectation fails", () -> server("wrong").state() == ServerState.DOWN, 5000);
        assertThat(server("right").state()).isEqualTo(ServerState.UP);
        assertThat(server("right").healthy()).isTrue();
        try (Socket s = new Socket()) { // and the proxy in front of it is a real redis proxy
            s.connect(lb.localAddress("right"), 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(s.getInputStream().readNBytes(7), StandardCharsets.US_ASCII)).isEqualTo("+PONG\r\n");
        }

        stop(process);
        Rig.await("redis stopped: DOWN", () -> server("right").state() == ServerState.DOWN, 5000);
    }

    @Test
    void anHttpCheckTalksToARealNginxAndNoticesWhenItStops() throws Exception {
        final Path nginx = binary("nginx");
        final int port = Ports.freeForTcpAndUdp();
        final Path conf = dir.resolve("nginx.conf");
        Files.writeString(conf, """
            daemon off;
            master_process off;
            worker_processes 1;
            pid %1$s/nginx.pid;
            error_log %1$s/error.log;
            events { worker_connections 64; }
            http {
              access_log off;
              client_body_temp_path %1$s/body;
              proxy_temp_path %1$s/proxy;
              fastcgi_temp_path %1$s/fastcgi;
              uwsgi_temp_path %1$s/uwsgi;
              scgi_temp_path %1$s/scgi;
              server {
                listen 127.0.0.1:%2$d;
                location = /health { return 200 "ok\\n"; }
                location = /broken { return 503; }
                location / { return 404; }
              }
            }
            """.formatted(dir, port));
        final Process process = launch(List.of(nginx.toString(), "-p", dir.toString(), "-e", dir.resolve("error.log")
            .toString(), "-c", conf.toString()));
        awaitListening(port, process);
        final InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        lb = rig.start(twoGroups(address, CheckSpec.parse("http:/health"), CheckSpec.parse("http:/broken")));

        Rig.await("a 503 fails the check", () -> server("wrong").state() == ServerState.DOWN, 5000);
        assertThat(server("right").state()).isEqualTo(ServerState.UP);
        try (Socket s = new Socket()) {
            s.connect(lb.localAddress("right"), 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write("GET /health HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
                .startsWith("HTTP/1.1 200").endsWith("ok\n");
        }

        stop(process);
        Rig.await("nginx stopped: DOWN", () -> server("right").state() == ServerState.DOWN, 5000);
    }

    /** Listener and group {@code right} with the check that should pass, {@code wrong} with one that should not. */
    private static Config twoGroups(final InetSocketAddress server, final CheckSpec right, final CheckSpec wrong) {
        final HealthCheckConfig health = HealthCheckConfig.DEFAULTS.withInterval(INTERVAL).withRise(2).withFall(2);
        final List<ListenerConfig> listeners = new ArrayList<>();
        final List<TargetGroupConfig> groups = new ArrayList<>();
        for (final String name : List.of("right", "wrong")) {
            listeners.add(new ListenerConfig(name, Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), name,
                TcpOptions.DEFAULTS));
            groups.add(new TargetGroupConfig(name, Algorithm.ROUNDROBIN,
                List.of(new ServerConfig(name, server, 1)), health.withChecks(List.of(name.equals("right") ? right : wrong))));
        }
        return new Config(1, Duration.ofSeconds(1), listeners, groups);
    }

    private Server server(final String group) {
        return lb.group(group).snapshot().servers()[0];
    }

    private static Path binary(final String name) {
        for (final String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/usr/local/sbin").split(":")) {
            final Path p = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        Assumptions.abort(name + " is not installed (apt-get install " + name
            + ", or run .ci/install-test-deps as root): skipping the check against a real " + name);
        return null;
    }

    private Process launch(final List<String> command) throws IOException {
        final Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
            .redirectOutput(dir.resolve("server-" + processes.size() + ".log").toFile()).start();
        processes.add(p);
        rig.track(() -> stop(p));
        return p;
    }

    private void awaitListening(final int port, final Process process) throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("server exited with " + process.exitValue() + ": " + logOf(process));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (final IOException notYet) {
                Thread.sleep(20);
            }
        }
        throw new AssertionError("server not listening on " + port + " within 10 s: " + logOf(process));
    }

    private String logOf(final Process process) throws IOException {
        final Path log = dir.resolve("server-" + processes.indexOf(process) + ".log");
        return Files.exists(log) ? Files.readString(log).strip() : "(no output)";
    }

    /** Stops a server we started, by its PID: SIGTERM, then SIGKILL after 5 s. */
    private static void stop(final Process process) throws InterruptedException {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
