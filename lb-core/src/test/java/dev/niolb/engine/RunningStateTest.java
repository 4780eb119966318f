package dev.niolb.engine;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.listener.Listener;
import dev.niolb.testing.Await;
import dev.niolb.testing.EchoServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link RunningState}: what the engine runs, published whole by a reload and only read by its readers. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RunningStateTest {
    private static final InetSocketAddress ANY_PORT = new InetSocketAddress("127.0.0.1", 0);

    private final EchoServer backend = new EchoServer("a");
    private LoadBalancer lb;

    RunningStateTest() throws Exception {
    }

    @AfterEach
    void tearDown() throws Exception {
        if (lb != null) {
            lb.stop(Duration.ZERO);
        }
        backend.close();
    }

    @Test
    void countingActiveSessionsKeepsARetiredListenerUntilTheNextReloadForgetsIt() throws Exception {
        lb = LoadBalancer.start(config(List.of("front", "extra"), List.of("web")));
        try (Socket client = new Socket()) {
            client.connect(lb.localAddress("extra"), 2_000);
            client.setSoTimeout(5_000);
            assertThat(new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.US_ASCII))
                .readLine()).isEqualTo("a");
            lb.reload(config(List.of("front"), List.of("web"))); // extra leaves with its session open
        }
        final RunningState afterRemoval = lb.running();
        assertThat(afterRemoval.retired()).extracting(Listener::name).containsExactly("extra");
        Await.until(() -> lb.activeSessions() == 0, 10_000);

        assertThat(lb.activeSessions()).isZero();
        assertThat(lb.running()).as("a read publishes nothing").isSameAs(afterRemoval);
        assertThat(lb.running().retired()).as("a read drops no retired listener").extracting(Listener::name)
            .containsExactly("extra");

        lb.reload(config(List.of("front"), List.of("web")));
        assertThat(lb.running().retired()).as("the next reload forgets it: no session left").isEmpty();
    }

    @Test
    void aReaderDuringReloadsAlwaysSeesTheListenersAndGroupsOfOneConfig() throws Exception {
        final Config small = config(List.of("front"), List.of("web"));
        final Config large = config(List.of("front", "extra"), List.of("web", "spare"));
        lb = LoadBalancer.start(small);
        final AtomicBoolean reloading = new AtomicBoolean(true);
        final CompletableFuture<List<String>> mixed = CompletableFuture.supplyAsync(() -> {
            final List<String> seen = new ArrayList<>();
            long reads = 0;
            while (reloading.get() || reads == 0) {
                final RunningState s = lb.running();
                final List<String> listeners = s.listeners().stream().map(Listener::name).toList();
                final List<String> configured = s.config().listeners().stream().map(ListenerConfig::name).toList();
                final List<String> groups = List.copyOf(s.groups().keySet());
                final List<String> configuredGroups = s.config().groups().stream().map(TargetGroupConfig::name)
                    .toList();
                if (!listeners.equals(configured) || !groups.equals(configuredGroups)) {
                    seen.add(listeners + " " + groups + " under " + configured + " " + configuredGroups);
                }
                reads++;
            }
            return seen;
        });
        for (int i = 0; i < 20; i++) {
            lb.reload(i % 2 == 0 ? large : small);
        }
        reloading.set(false);
        assertThat(mixed.get(10, TimeUnit.SECONDS)).isEmpty();
        assertThat(lb.running().listeners()).extracting(Listener::name).containsExactly("front");
    }

    private Config config(final List<String> listeners, final List<String> groups) {
        final List<ListenerConfig> ls = new ArrayList<>();
        for (final String name : listeners) {
            ls.add(new ListenerConfig(name, Protocol.TCP, ANY_PORT, "web", TcpOptions.DEFAULTS));
        }
        final List<TargetGroupConfig> gs = new ArrayList<>();
        for (final String name : groups) {
            gs.add(new TargetGroupConfig(name, Algorithm.ROUNDROBIN,
                List.of(new ServerConfig("a", backend.address(), 1))));
        }
        return new Config(1, Duration.ofSeconds(1), ls, gs);
    }
}
