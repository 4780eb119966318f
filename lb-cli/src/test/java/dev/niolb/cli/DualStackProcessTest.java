package dev.niolb.cli;

import dev.niolb.testing.EchoServer;
import dev.niolb.testing.UdpClient;
import dev.niolb.testing.UdpEchoServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.DataInputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs on JUnit's thread; servers and clients on platform threads inside a network namespace of the test's own
 * whose {@code net.ipv6.bindv6only} is 1, as some hosts set it: a listener on {@code [::]} still takes IPv4
 * clients, on both transports, as the docs say. Needs root and iproute2 (skips with the reason otherwise).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DualStackProcessTest {
    private static final int LISTEN_PORT = 7000;
    private NetworkNamespace ns;
    private EchoServer tcpServer;
    private UdpEchoServer udpServer;

    @BeforeAll
    void namespaceWithIpv6OnlyByDefault() throws Exception {
        final String skip = NetworkNamespace.skipReason();
        assumeTrue(skip == null, skip);
        ns = NetworkNamespace.create("niolb-v6only-" + ProcessHandle.current().pid());
        ns.exec("sysctl", "-q", "-w", "net.ipv6.bindv6only=1");
        tcpServer = inside(() -> new EchoServer(new InetSocketAddress("127.0.0.1", 7001), "tcp-server"));
        udpServer = inside(() -> new UdpEchoServer("udp-server", 1, new InetSocketAddress("127.0.0.1", 7001)));
    }

    @AfterAll
    void deleteNamespace() throws Exception {
        if (udpServer != null) {
            udpServer.close();
        }
        if (tcpServer != null) {
            tcpServer.close();
        }
        if (ns != null) {
            ns.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"epoll", "nio"})
    void aListenerOnTheIpv6WildcardTakesIpv4ClientsEvenWhereTheHostMakesIpv6SocketsIpv6Only(final String transport)
        throws Exception {
        try (NiolbProcess niolb = NiolbProcess.start(ns.prefix(), "run", "--transport", transport, "--threads", "1",
            "--listen", "[::]:" + LISTEN_PORT, "--listen", "udp://[::]:" + LISTEN_PORT, "--server", "127.0.0.1:7001",
            "--admin", "none")) {
            niolb.awaitOut("listening on .*udp://\\[::\\]:" + LISTEN_PORT, Duration.ofSeconds(20));

            assertThat(inside(() -> tcpGreeting("127.0.0.1"))).isEqualTo("tcp-server");
            assertThat(inside(() -> tcpGreeting("::1"))).isEqualTo("tcp-server");
            assertThat(inside(() -> udpEcho("127.0.0.1"))).isEqualTo("udp-server:ping");
            assertThat(inside(() -> udpEcho("::1"))).isEqualTo("udp-server:ping");
        }
    }

    private static String tcpGreeting(final String host) throws Exception {
        try (Socket client = new Socket(host, LISTEN_PORT)) {
            client.setSoTimeout(10_000);
            final byte[] greeting = new byte["tcp-server".length()];
            new DataInputStream(client.getInputStream()).readFully(greeting);
            return new String(greeting, StandardCharsets.UTF_8);
        }
    }

    private static String udpEcho(final String host) throws Exception {
        try (UdpClient client = new UdpClient(new InetSocketAddress(host, LISTEN_PORT), host)) {
            return client.ask("ping");
        }
    }

    /** {@code body}'s result, run on a thread inside the namespace (its sockets live there). */
    private <T> T inside(final Callable<T> body) throws Exception {
        final CompletableFuture<T> result = new CompletableFuture<>();
        ns.thread("in-" + ns.name(), () -> {
            try {
                result.complete(body.call());
            } catch (final Exception | Error e) {
                result.completeExceptionally(e);
            }
        });
        return result.get(30, TimeUnit.SECONDS);
    }
}
