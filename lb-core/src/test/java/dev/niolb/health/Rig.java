package dev.niolb.health;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.backend.Server;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.TcpServers;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * A load balancer in front of named greeting echo servers on loopback, for the health tests: each backend
 * greets a connection with its name, so a client knows which one served it. The test's {@link EngineRig} starts
 * niolb on the transport under test and stops it and the backends after the test.
 */
final class Rig {
    private final EngineRig engine;
    private final Map<String, EchoServer> backends = new LinkedHashMap<>();
    LoadBalancer lb;

    Rig(final EngineRig engine) {
        this.engine = engine;
    }

    /** A greeting echo server named {@code name} on 127.0.0.1 and an ephemeral port. */
    /** On a port below the ephemeral range: a test may kill it and start it again on the same address. */
    EchoServer backend(final String name) throws IOException {
        return backend(name, TcpServers.freeAddress());
    }

    EchoServer backend(final String name, final InetSocketAddress bind) throws IOException {
        final EchoServer server = engine.track(new EchoServer(bind, name));
        backends.put(name, server);
        return server;
    }

    /** Closes a backend's listening socket and its connections, as a killed process would. */
    /**
     * Stops a backend and returns once its port refuses connections: a listening socket closed while a thread
     * is blocked in accept may keep completing handshakes for a moment, and "dead" must mean dead for the tests.
     */
    void kill(final String name) throws IOException {
        final EchoServer backend = backends.remove(name);
        final java.net.InetSocketAddress address = backend.address();
        backend.close();
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline) {
            try (java.net.Socket probe = new java.net.Socket()) {
                probe.connect(address, 200);
            } catch (final IOException refused) {
                return;
            }
            Thread.onSpinWait();
        }
        throw new IOException("backend " + name + " still accepts connections after close");
    }

    <T extends AutoCloseable> T track(final T resource) {
        return engine.track(resource);
    }

    /** The config of a server in front of backend {@code name}, with extra options such as {@code backup}. */
    ServerConfig config(final String name, final boolean backup, final int checkPort) {
        return new ServerConfig(name, backends.get(name).address(), 1, backup, checkPort);
    }

    ServerConfig config(final String name) {
        return config(name, false, 0);
    }

    LoadBalancer start(final Algorithm balance, final int threads, final HealthCheckConfig health,
                       final ServerConfig... servers) throws IOException {
        return start(balance, threads, health, TcpOptions.DEFAULTS, servers);
    }

    LoadBalancer start(final Algorithm balance, final int threads, final HealthCheckConfig health,
                       final TcpOptions tcp, final ServerConfig... servers) throws IOException {
        final Config config = Config.single(threads, Duration.ofSeconds(2),
            new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g", tcp),
            new TargetGroupConfig("g", balance, List.of(servers), health));
        lb = engine.start(config);
        return lb;
    }

    Server server(final String name) {
        return lb.group("g").snapshot().server(name);
    }

    /** Opens a session through niolb; the caller closes it. */
    Socket connect() throws IOException {
        final Socket s = new Socket();
        s.connect(lb.localAddress("front"), 2000);
        s.setSoTimeout(5000);
        return s;
    }

    /** One short session: the name of the backend that greeted it; throws when the session failed. */
    String hello() throws IOException {
        try (Socket s = connect()) {
            return greeting(s);
        }
    }

    /** The greeting line of an open session; throws when the session ended without one. */
    static String greeting(final Socket s) throws IOException {
        final BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        final String line = in.readLine();
        if (line == null) {
            throw new IOException("session closed before a greeting");
        }
        return line;
    }

    /** Which backend served each of {@code n} short sessions, counted by name. */
    Map<String, Integer> spread(final int n) throws IOException {
        final Map<String, Integer> counts = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            counts.merge(hello(), 1, Integer::sum);
        }
        return counts;
    }

    static void await(final String what, final Callable<Boolean> condition, final long timeoutMs) throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not within " + timeoutMs + " ms");
            }
            Thread.sleep(5);
        }
    }

}
