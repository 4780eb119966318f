package dev.niolb.admin;

import dev.niolb.LoadBalancer;
import dev.niolb.config.AdminConfig;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.Http;
import dev.niolb.testing.Ports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** When the admin API runs, when it does not, and the page it serves. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminLifecycleTest {

    private static Config config(final InetSocketAddress listen, final InetSocketAddress server, final AdminConfig admin) {
        return Config.single(1, Duration.ofSeconds(1), new ListenerConfig(listen, "g", TcpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s0", server, 1)))).withAdmin(admin);
    }

    @Test
    void aRequiredAdminAddressInUseFailsTheStartAndReleasesTheListeners() throws Exception {
        final int listenPort = Ports.freeForTcpAndUdp();
        try (EchoServer echo = new EchoServer(); ServerSocket busy = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            final InetSocketAddress admin = (InetSocketAddress) busy.getLocalSocketAddress();
            assertThatThrownBy(() -> AdminServer.startWithEngine(config(new InetSocketAddress("127.0.0.1", listenPort),
                echo.address(), AdminConfig.on(admin))))
                .isInstanceOf(BindException.class)
                .hasMessage("cannot listen on admin address 127.0.0.1:" + admin.getPort() + ": address already in use");
            try (ServerSocket again = new ServerSocket()) {
                again.bind(new InetSocketAddress("127.0.0.1", listenPort)); // the listener's port was released
            }
        }
    }

    @Test
    void anAdminAddressAnotherNiolbServesIsInUseUnlessTakingOverFromIt() throws Exception {
        try (EchoServer echo = new EchoServer()) {
            final int admin = Ports.freeForTcpAndUdp();
            final AdminConfig on = AdminConfig.on(new InetSocketAddress("127.0.0.1", admin));
            try (LoadBalancer first = AdminServer.startWithEngine(config(new InetSocketAddress("127.0.0.1", 0),
                echo.address(), on))) {
                // both bind with SO_REUSEPORT (for a takeover): a second niolb must still find the address in use
                try (LoadBalancer second = LoadBalancer.start(config(new InetSocketAddress("127.0.0.1", 0),
                    echo.address(), on))) {
                    assertThatThrownBy(() -> AdminServer.attach(second, on)).isInstanceOf(BindException.class)
                        .hasMessage("cannot listen on admin address 127.0.0.1:" + admin + ": address already in use");

                    AdminServer.attach(second, on, true); // a takeover's successor binds beside it
                    assertThat(second.adminAddress()).isEqualTo(first.adminAddress());
                }
            }
        }
    }

    @Test
    void aDefaultAdminAddressInUseLeavesTheEngineRunningWithoutIt() throws Exception {
        try (EchoServer echo = new EchoServer("s0"); ServerSocket busy = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            final LoadBalancer lb = AdminServer.startWithEngine(config(new InetSocketAddress("127.0.0.1", 0), echo.address(),
                new AdminConfig((InetSocketAddress) busy.getLocalSocketAddress(), null, false)));
            try (Socket s = new Socket()) {
                assertThat(lb.adminAddress()).isNull();
                s.connect(lb.localAddresses().getFirst());
                assertThat(AdminRig.greeting(s)).isEqualTo("s0");
            } finally {
                lb.stop(Duration.ZERO);
            }
        }
    }

    @Test
    void anAdminApiOnTheIpv4WildcardIsNotReachableOverIpv6() throws Exception {
        assertThat(dev.niolb.testing.LoopbackV6.whyNoLoopback()).as("::1 works here").isNull();
        try (EchoServer echo = new EchoServer()) {
            final LoadBalancer lb = AdminServer.startWithEngine(config(new InetSocketAddress("127.0.0.1", 0),
                echo.address(), AdminConfig.on(new InetSocketAddress("0.0.0.0", 0))));
            try {
                final int port = lb.adminAddress().getPort();
                try (java.net.Socket v4 = new java.net.Socket("127.0.0.1", port)) {
                    assertThat(v4.isConnected()).isTrue();
                }
                // the JDK's default socket is dual-stack: bound to 0.0.0.0 it took :: as well
                assertThatThrownBy(() -> new java.net.Socket("::1", port).close())
                    .isInstanceOf(java.net.ConnectException.class);
            } finally {
                lb.stop(Duration.ZERO);
            }
        }
    }

    @Test
    void anEngineStartedFromCodeHasNoAdminApiUnlessItAsks() throws Exception {
        try (EchoServer echo = new EchoServer()) {
            final LoadBalancer lb = AdminServer.startWithEngine(config(new InetSocketAddress("127.0.0.1", 0), echo.address(),
                AdminConfig.NONE));
            assertThat(lb.adminAddress()).isNull();
            lb.stop(Duration.ZERO);
        }
    }

    @Test
    void aTokenFileThatCannotBeReadFailsTheStartNamingIt(@TempDir final Path dir) throws Exception {
        final AdminConfig missing = AdminConfig.on(new InetSocketAddress("127.0.0.1", 0)).withTokenFile(dir.resolve("nope"));
        final Path empty = Files.writeString(dir.resolve("empty"), "\n");
        try (EchoServer echo = new EchoServer()) {
            assertThatThrownBy(() -> AdminServer.startWithEngine(config(new InetSocketAddress("127.0.0.1", 0), echo.address(), missing)))
                .isInstanceOf(IOException.class)
                .hasMessage("cannot read admin token file " + dir.resolve("nope") + ": no such file");
            assertThatThrownBy(() -> AdminServer.startWithEngine(config(new InetSocketAddress("127.0.0.1", 0), echo.address(),
                missing.withTokenFile(empty))))
                .hasMessage("admin token file " + empty + " is empty");
        }
    }

    @Test
    void aTokenTooLongToSendOrAFileWithoutEndFailsTheStart(@TempDir final Path dir) throws Exception {
        final Path longToken = Files.writeString(dir.resolve("long"), "t".repeat(dev.niolb.config.TokenFile.MAX_LENGTH + 1) + "\n");
        final Path endless = Files.createSymbolicLink(dir.resolve("zero"), Path.of("/dev/zero"));
        final AdminConfig admin = AdminConfig.on(new InetSocketAddress("127.0.0.1", 0));
        try (EchoServer echo = new EchoServer()) {
            assertThatThrownBy(() -> AdminServer.startWithEngine(config(new InetSocketAddress("127.0.0.1", 0),
                echo.address(), admin.withTokenFile(longToken))))
                .hasMessage("admin token file " + longToken + ": the token is longer than 4096 characters, more "
                    + "than a request's headers may carry");
            assertThatThrownBy(() -> AdminServer.startWithEngine(config(new InetSocketAddress("127.0.0.1", 0),
                echo.address(), admin.withTokenFile(endless))))
                .hasMessage("cannot read admin token file " + endless + ": larger than 8 KiB");
        }
    }

    @Test
    void stoppingTheEngineClosesTheAdminApi() throws Exception {
        try (AdminRig rig = new AdminRig(1).start()) {
            final InetSocketAddress admin = rig.lb.adminAddress();
            assertThat(admin.getPort()).isPositive();
            rig.lb.stop(Duration.ZERO);
            assertThatThrownBy(() -> new Socket(admin.getAddress(), admin.getPort()).close())
                .isInstanceOf(ConnectException.class);
        }
    }

    @Test
    void theStatsPageIsOneSelfContainedHtmlPage() throws Exception {
        try (AdminRig rig = new AdminRig(1).start()) {
            final HttpResponse<String> page = rig.http.get("/");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
            assertThat(page.body()).contains("<title>niolb stats</title>", "fetch(\"api/stats\"", "setInterval(refresh, REFRESH_MS)")
                .doesNotContain("<link", "src=\"http", "https://", "import(");
            assertThat(new Http(rig.lb.adminAddress()).get("/index.html").statusCode()).isEqualTo(404);
        }
    }
}
