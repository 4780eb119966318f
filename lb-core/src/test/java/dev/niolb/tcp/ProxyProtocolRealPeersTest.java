package dev.niolb.tcp;

import dev.niolb.LoadBalancer;
import dev.niolb.admission.CidrSet;
import dev.niolb.config.AcceptProxy;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.Endpoint;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.SendProxy;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.session.SessionInfo;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import dev.niolb.testing.ExternalServer;
import dev.niolb.testing.HeaderEchoServer;
import dev.niolb.testing.Ports;
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
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * niolb's PROXY protocol against the real implementations: nginx ({@code listen … proxy_protocol}, answering
 * {@code $proxy_protocol_addr:$proxy_protocol_port}) and HAProxy ({@code bind … accept-proxy} answering
 * {@code %ci:%cp}) as consumers of niolb's headers, and HAProxy ({@code server … send-proxy-v2}) as a producer in
 * front of niolb. Each test is skipped when its program is not installed.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@EveryTransport
class ProxyProtocolRealPeersTest {
    private static final Path STREAM_MODULE = Path.of("/usr/lib/nginx/modules/ngx_stream_module.so");

    @RegisterExtension
    final EngineRig rig;

    @TempDir
    Path dir;
    private LoadBalancer lb;

    ProxyProtocolRealPeersTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    // ------------------------------------------------------------------------------------ niolb → consumer

    @Test
    void nginxReadsTheClientsAddressFromNiolbsV1Header() throws Exception {
        final int nginx = nginxReportingProxyAddress();
        startNiolb(AcceptProxy.DISABLED, new InetSocketAddress("127.0.0.1", nginx), SendProxy.V1);
        try (Socket s = connectFrom("127.0.0.2", lb.localAddress("front"))) {
            assertThat(ProxyProtocolTcpTest.readLine(s)).isEqualTo(Endpoint.hostPort(local(s)));
        }
    }

    @Test
    void nginxReadsTheClientsAddressFromNiolbsV2Header() throws Exception {
        final int nginx = nginxReportingProxyAddress();
        startNiolb(AcceptProxy.DISABLED, new InetSocketAddress("127.0.0.1", nginx), SendProxy.V2);
        try (Socket s = connectFrom("127.0.0.3", lb.localAddress("front"))) {
            assertThat(ProxyProtocolTcpTest.readLine(s)).isEqualTo(Endpoint.hostPort(local(s)));
        }
    }

    @Test
    void haproxyAcceptProxyReadsTheClientsAddressFromNiolbsV1AndV2Headers() throws Exception {
        final int haproxy = Ports.freeForTcpAndUdp();
        startHaproxy("""
            frontend consumer
                mode http
                bind 127.0.0.1:%d accept-proxy
                http-request return status 200 content-type text/plain lf-string "%%ci:%%cp\\n"
            """.formatted(haproxy), haproxy);
        for (final SendProxy send : List.of(SendProxy.V1, SendProxy.V2)) {
            startNiolb(AcceptProxy.DISABLED, new InetSocketAddress("127.0.0.1", haproxy), send);
            try (Socket s = connectFrom("127.0.0.2", lb.localAddress("front"))) {
                s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                final String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertThat(response).as(send.toString()).startsWith("HTTP/1.1 200")
                    .endsWith("\r\n\r\n" + Endpoint.hostPort(local(s)) + "\n");
            }
            lb.stop(Duration.ZERO);
            lb = null;
        }
    }

    // ------------------------------------------------------------------------------------ producer → niolb

    @Test
    void niolbReadsHaproxysV2HeaderAndPassesTheRealClientOnToNginx() throws Exception {
        final int nginx = nginxReportingProxyAddress();
        // client 127.0.0.3 → HAProxy (send-proxy-v2) → niolb (accept-proxy from HAProxy only, send-proxy) → nginx
        startNiolb(AcceptProxy.from(CidrSet.parse(List.of("127.0.0.1/32"))), new InetSocketAddress("127.0.0.1", nginx),
            SendProxy.V1);
        final int haproxy = haproxyInFrontOfNiolb("send-proxy-v2");
        try (Socket s = connectFrom("127.0.0.3", new InetSocketAddress("127.0.0.1", haproxy))) {
            assertThat(ProxyProtocolTcpTest.readLine(s)).isEqualTo(Endpoint.hostPort(local(s)));
        }
        assertThat(lb.listener("front").counters().proxyHeaders()).isEqualTo(1);
    }

    @Test
    void niolbsSessionShowsTheClientHaproxyAnnouncedInV1AndV2() throws Exception {
        final HeaderEchoServer backend = rig.track(new HeaderEchoServer());
        startNiolb(AcceptProxy.from(CidrSet.parse(List.of("127.0.0.1/32"))), backend.address(), SendProxy.V2);
        for (final String send : List.of("send-proxy", "send-proxy-v2")) {
            final int haproxy = haproxyInFrontOfNiolb(send);
            try (Socket s = connectFrom("127.0.0.2", new InetSocketAddress("127.0.0.1", haproxy))) {
                final String line = ProxyProtocolTcpTest.readLine(s);
                assertThat(line).as(send).startsWith("proxied " + Endpoint.hostPort(local(s)) + " ");
                assertThat(lb.sessions()).extracting(SessionInfo::client).containsExactly(local(s));
                s.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
                assertThat(new String(s.getInputStream().readNBytes(4), StandardCharsets.US_ASCII)).isEqualTo("ping");
            }
        }
    }

    // --------------------------------------------------------------------------------------------- helpers

    private void startNiolb(final AcceptProxy accept, final InetSocketAddress server, final SendProxy send)
        throws IOException {
        lb = rig.start(Config.single(1, Duration.ofSeconds(1),
            new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS)
                .withAcceptProxy(accept),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s", server, 1, false, 0, send)))));
    }

    /** nginx's stream module answering each connection with the address its PROXY header gave; its port. */
    private int nginxReportingProxyAddress() throws Exception {
        final Path nginx = ExternalServer.binary("nginx", "nginx");
        final String loadModule = streamModule(nginx);
        final int port = Ports.freeForTcpAndUdp();
        final Path conf = dir.resolve("nginx.conf");
        Files.writeString(conf, """
            %1$s
            daemon off;
            master_process off;
            worker_processes 1;
            pid %2$s/nginx.pid;
            error_log %2$s/nginx-error.log;
            events { worker_connections 64; }
            stream {
              server {
                listen 127.0.0.1:%3$d proxy_protocol;
                return "$proxy_protocol_addr:$proxy_protocol_port\\n";
              }
            }
            """.formatted(loadModule, dir, port));
        rig.track(ExternalServer.start(List.of(nginx.toString(), "-p", dir.toString(), "-e",
            dir.resolve("nginx-error.log").toString(), "-c", conf.toString()), dir, port));
        return port;
    }

    /** The {@code load_module} line nginx needs for {@code stream}, "" when it is built in; skips without it. */
    private static String streamModule(final Path nginx) throws Exception {
        final Process p = new ProcessBuilder(nginx.toString(), "-V").redirectErrorStream(true).start();
        final String build = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(5, TimeUnit.SECONDS);
        if (build.contains("--with-stream ") || build.contains("--with-stream\n")) {
            return "";
        }
        Assumptions.assumeTrue(build.contains("--with-stream=dynamic") && Files.exists(STREAM_MODULE),
            "nginx has no stream module (apt-get install libnginx-mod-stream): skipping the nginx PROXY test");
        return "load_module " + STREAM_MODULE + ";";
    }

    /** HAProxy in {@code mode tcp} with one server, niolb's listener, getting {@code sendProxy}; its port. */
    private int haproxyInFrontOfNiolb(final String sendProxy) throws Exception {
        final int port = Ports.freeForTcpAndUdp();
        startHaproxy("""
            frontend producer
                mode tcp
                bind 127.0.0.1:%d
                default_backend niolb
            backend niolb
                mode tcp
                server s1 %s %s
            """.formatted(port, Endpoint.hostPort(lb.localAddress("front")), sendProxy), port);
        return port;
    }

    private void startHaproxy(final String sections, final int port) throws Exception {
        final Path haproxy = ExternalServer.binary("haproxy", "haproxy");
        final Path conf = Files.createTempFile(dir, "haproxy-", ".cfg");
        Files.writeString(conf, """
            global
                maxconn 100
            defaults
                timeout connect 5s
                timeout client 30s
                timeout server 30s
            """ + sections);
        rig.track(ExternalServer.start(List.of(haproxy.toString(), "-db", "-f", conf.toString()), dir, port).killAtOnce());
    }

    private static Socket connectFrom(final String clientIp, final InetSocketAddress target) throws IOException {
        final Socket s = new Socket();
        s.bind(new InetSocketAddress(clientIp, 0));
        s.connect(target, 2000);
        s.setSoTimeout(10_000);
        return s;
    }

    private static InetSocketAddress local(final Socket s) {
        return (InetSocketAddress) s.getLocalSocketAddress();
    }
}
