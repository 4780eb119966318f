package dev.niolb.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.niolb.LoadBalancer;
import dev.niolb.config.AdminConfig;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.Http;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An engine with its admin API on an ephemeral loopback port, in front of greeting echo servers named
 * {@code s0}, {@code s1} …, and the helpers the admin tests share. Opened and closed by each test (try with
 * resources); the engine and the servers are started and stopped through an {@link EngineRig} on the default
 * transport: the admin API is the same on every transport.
 */
final class AdminRig implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    final List<EchoServer> servers = new ArrayList<>();
    final List<Socket> clients = new ArrayList<>();
    LoadBalancer lb;
    Http http;
    /** With {@link #limits}: the admin server the rig started itself (the engine then has none of its own). */
    AdminServer admin;
    private final EngineRig engine = new EngineRig();
    private List<String> allowedHosts = List.of();
    private AdminLimits limits;
    private int quietServers;

    AdminRig(final int servers) throws IOException {
        for (int i = 0; i < servers; i++) {
            this.servers.add(engine.track(new EchoServer("s" + i)));
        }
    }

    /** Host names the admin API answers to besides the built-in ones. */
    AdminRig allowHosts(final String... names) {
        allowedHosts = List.of(names);
        return this;
    }

    /**
     * {@code count} servers more, at addresses nothing listens on (no check: they stay UP), for pages as large as
     * a big fleet's without as many echo servers.
     */
    AdminRig quietServers(final int count) {
        quietServers = count;
        return this;
    }

    /** An admin server with these limits instead of the defaults. */
    AdminRig limits(final AdminLimits adminLimits) {
        limits = adminLimits;
        return this;
    }

    /** Where the admin API listens. */
    InetSocketAddress adminAddress() {
        return admin != null ? admin.address() : lb.adminAddress();
    }

    AdminRig start(final Algorithm balance, final int threads, final Path tokenFile) throws IOException {
        final List<ServerConfig> configs = new ArrayList<>();
        for (int i = 0; i < servers.size(); i++) {
            configs.add(new ServerConfig("s" + i, servers.get(i).address(), 1));
        }
        for (int i = 0; i < quietServers; i++) {
            configs.add(new ServerConfig("q" + i, new InetSocketAddress("127.0.10." + (i % 250 + 1), 2000 + i / 250),
                1));
        }
        final Config config = Config.single(threads, Duration.ofSeconds(5),
                new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g",
                    TcpOptions.DEFAULTS),
                new TargetGroupConfig("g", balance, configs, HealthCheckConfig.DEFAULTS, 0))
            .withAdmin(AdminConfig.NONE);
        final AdminConfig adminConfig = AdminConfig.on(new InetSocketAddress("127.0.0.1", 0)).withTokenFile(tokenFile)
            .withAllowedHosts(allowedHosts);
        if (limits == null) {
            lb = engine.start(config.withAdmin(adminConfig));
        } else {
            lb = engine.start(config);
            admin = AdminServer.start(lb, adminConfig, limits);
        }
        http = new Http(adminAddress());
        return this;
    }

    AdminRig start() throws IOException {
        return start(Algorithm.ROUNDROBIN, 2, null);
    }

    /** A client connection; it reads the greeting line and returns it with the socket. */
    Socket connect() throws IOException {
        final Socket s = new Socket();
        s.connect(lb.localAddress("front"), 2000);
        s.setSoTimeout(5000);
        clients.add(s);
        return s;
    }

    /** The name of the server that greets a new connection (then closes it). */
    String nextServer() throws IOException {
        try (Socket s = connect()) {
            return greeting(s);
        }
    }

    static String greeting(final Socket s) throws IOException {
        final InputStream in = s.getInputStream();
        final StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            line.append((char) c);
        }
        return line.toString();
    }

    JsonNode stats() throws Exception {
        final HttpResponse<String> r = http.get("/api/stats");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
        return JSON.readTree(r.body());
    }

    JsonNode server(final JsonNode stats, final String name) {
        for (final JsonNode s : stats.get("groups").get(0).get("servers")) {
            if (s.get("name").asText().equals(name)) {
                return s;
            }
        }
        throw new AssertionError("no server " + name + " in " + stats);
    }

    String metrics() throws Exception {
        final HttpResponse<String> r = http.get("/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        return r.body();
    }

    /** The value of the one sample {@code name{labels}} (labels as written, e.g. {@code listener="front"}). */
    static double sample(final String metrics, final String name, final String... labels) {
        final Pattern line = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*})? (\\S+)$", Pattern.MULTILINE);
        final Matcher m = line.matcher(metrics);
        Double found = null;
        while (m.find()) {
            final String set = m.group(1) == null ? "" : m.group(1);
            boolean all = true;
            for (final String label : labels) {
                all &= set.contains(label);
            }
            if (all) {
                assertThat(found).as("one sample of %s %s", name, List.of(labels)).isNull();
                found = Double.parseDouble(m.group(2));
            }
        }
        assertThat(found).as("a sample of %s %s in\n%s", name, List.of(labels), metrics).isNotNull();
        return found;
    }

    static byte[] bytes(final String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws Exception {
        for (final Socket s : clients) {
            s.close();
        }
        if (admin != null) {
            admin.close();
        }
        engine.tearDown();
    }
}
