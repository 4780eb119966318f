package dev.niolb.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.niolb.LoadBalancer;
import dev.niolb.config.AdminConfig;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.UdpOptions;
import dev.niolb.metrics.PrometheusText;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.Http;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code /metrics} read by a real parser: the Prometheus project's own Python client
 * ({@code prometheus_client.parser}, Debian's {@code python3-prometheus-client}, which {@code .ci/install-test-deps}
 * installs). Skipped with a reason where it is missing.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PrometheusFormatTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");

    @RegisterExtension
    final EngineRig rig = new EngineRig();

    /** Prints the parsed families as JSON: name, type, help, and each sample's name, labels and value. */
    private static final String PARSE = """
        import json, math, sys
        from prometheus_client.parser import text_string_to_metric_families
        out = []
        for f in text_string_to_metric_families(sys.stdin.read()):
            out.append({"name": f.name, "type": f.type, "help": f.documentation,
                        "samples": [{"name": s.name, "labels": s.labels,
                                     "value": None if math.isnan(s.value) else s.value} for s in f.samples]})
        print(json.dumps(out))
        """;

    private static boolean parserAvailable() {
        if (!Files.isExecutable(PYTHON)) {
            return false;
        }
        try {
            final Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import prometheus_client.parser")
                .redirectErrorStream(true).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (final IOException | InterruptedException e) {
            return false;
        }
    }

    private static JsonNode parse(final String metrics) throws Exception {
        final Process p = new ProcessBuilder(PYTHON.toString(), "-c", PARSE).start();
        p.getOutputStream().write(metrics.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        final String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("the parser refused the text:\n%s\n%s", err, metrics).isZero();
        return AdminRig.JSON.readTree(out);
    }

    @Test
    void metricsParseWithTheReferenceParserAndEveryFamilyHasHelpAndType() throws Exception {
        assumeTrue(parserAvailable(), "needs /usr/bin/python3 with prometheus_client (apt python3-prometheus-client)");
        final String odd = "we\"b\\1"; // a name that needs the format's escapes (line breaks are refused in names)
        final EchoServer echo = rig.track(new EchoServer("s0"));
        final LoadBalancer lb = rig.start(new Config(1, Duration.ofSeconds(5), List.of(
                new ListenerConfig(odd, Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS),
                new ListenerConfig("dns", Protocol.UDP, new InetSocketAddress("127.0.0.1", 0), "g",
                    TcpOptions.DEFAULTS, UdpOptions.DEFAULTS)),
            List.of(new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s0", echo.address(), 1)))))
            .withAdmin(AdminConfig.on(new InetSocketAddress("127.0.0.1", 0))));
        try (Socket s = new Socket()) {
            s.connect(lb.localAddress(odd));
            s.getInputStream().read();
        }
        final String text = new Http(lb.adminAddress()).get("/metrics").body();
        final JsonNode families = parse(text);
        final Map<String, JsonNode> byName = new HashMap<>();
        for (final JsonNode f : families) {
            byName.put(f.get("name").asText(), f);
            assertThat(f.get("help").asText()).as("help of %s", f.get("name")).isNotBlank();
            assertThat(f.get("type").asText()).isIn("counter", "gauge", "histogram", "summary");
        }
        // counters lose _total in the family name, as the parser reads them
        assertThat(byName.keySet()).contains("niolb_listener_accepted", "niolb_listener_active_connections",
            "niolb_listener_bytes", "niolb_server_state", "niolb_server_weight",
            "niolb_server_active_connections", "niolb_server_connections", "niolb_server_connect_failures",
            "niolb_server_bytes", "niolb_server_connect_seconds", "niolb_server_session_seconds",
            "niolb_group_servers_up", "niolb_event_loops", "niolb_buffers_in_use",
            "niolb_direct_memory_bytes", "niolb_sessions", "niolb_build_info",
            // the standard families of the Prometheus Java client
            "process_cpu_seconds", "process_open_fds", "process_max_fds", "process_start_time_seconds",
            "process_resident_memory_bytes", "jvm_memory_used_bytes", "jvm_threads_current");
        assertThat(byName.get("niolb_listener_accepted").get("type").asText()).isEqualTo("counter");
        assertThat(byName.get("niolb_server_connect_seconds").get("type").asText()).isEqualTo("histogram");

        final Set<String> listeners = new HashSet<>();
        for (final JsonNode s : byName.get("niolb_listener_accepted").get("samples")) {
            listeners.add(s.get("labels").get("listener").asText());
        }
        assertThat(listeners).containsExactlyInAnyOrder(odd, "dns");
        // one connect: the buckets climb to it and stay, +Inf and _count agree
        final List<Double> buckets = new java.util.ArrayList<>();
        final Set<String> bounds = new HashSet<>();
        double count = -1;
        for (final JsonNode s : byName.get("niolb_server_connect_seconds").get("samples")) {
            final String name = s.get("name").asText();
            if (name.equals("niolb_server_connect_seconds_bucket")) {
                bounds.add(s.get("labels").get("le").asText());
                buckets.add(s.get("value").asDouble());
            } else if (name.equals("niolb_server_connect_seconds_count")) {
                count = s.get("value").asDouble();
            }
        }
        assertThat(bounds).contains("0.0001", "0.005", "1", "10", "+Inf");
        assertThat(buckets).isSorted().last().isEqualTo(1.0);
        assertThat(count).isEqualTo(1.0);
    }

    @Test
    void metricsPassPromtoolsLint() throws Exception {
        assumeTrue(Files.isExecutable(PROMTOOL), "needs promtool (apt prometheus), which .ci/install-test-deps installs");
        final EchoServer echo = rig.track(new EchoServer("s0"));
        final LoadBalancer lb = rig.start(new Config(1, Duration.ofSeconds(5), List.of(
                new ListenerConfig("web", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS),
                new ListenerConfig("dns", Protocol.UDP, new InetSocketAddress("127.0.0.1", 0), "g",
                    TcpOptions.DEFAULTS, UdpOptions.DEFAULTS)),
            List.of(new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s0", echo.address(), 1)))))
            .withAdmin(AdminConfig.on(new InetSocketAddress("127.0.0.1", 0))));
        try (Socket s = new Socket()) {
            s.connect(lb.localAddress("web"));
            s.getInputStream().read();
        }
        final String text = new Http(lb.adminAddress()).get("/metrics").body();
        final Process p = new ProcessBuilder(PROMTOOL.toString(), "check", "metrics").redirectErrorStream(true).start();
        p.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("promtool check metrics:\n%s", out).isZero();
        assertThat(out).isBlank();
    }

    @Test
    void theWriterRefusesWhatTheFormatForbids() {
        final PrometheusText p = new PrometheusText();
        assertThatThrownBy(() -> p.family("bad-name", PrometheusText.Type.GAUGE, "x"))
            .isInstanceOf(IllegalArgumentException.class);
        p.family("niolb_x", PrometheusText.Type.GAUGE, "x");
        assertThatThrownBy(() -> p.family("niolb_x", PrometheusText.Type.GAUGE, "again"))
            .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> p.sample("_sum", 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> p.sample(1, "bad label", "v")).isInstanceOf(IllegalArgumentException.class);
        p.sample(Double.NaN, "a", "1").sample(Double.POSITIVE_INFINITY, "a", "2").sample(0.25, "a", "3");
        assertThat(p.toString()).isEqualTo("""
            # HELP niolb_x x
            # TYPE niolb_x gauge
            niolb_x{a="1"} NaN
            niolb_x{a="2"} +Inf
            niolb_x{a="3"} 0.25
            """);
    }
}
