package dev.niolb.cli.takeover;

import dev.niolb.LoadBalancer;
import dev.niolb.backend.ServerState;
import dev.niolb.config.AdminConfig;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.Http;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/** The old niolb's side of a takeover, with a successor played by the test over the control socket. */
@Timeout(60)
class TakeoverServerTest {
    private static final MethodHandle CLOSE = Linker.nativeLinker().downcallHandle(
        Linker.nativeLinker().defaultLookup().find("close").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    @RegisterExtension
    final EngineRig rig = new EngineRig();

    @Test
    void whileASuccessorStartsOnTheSocketsTheAdminApiRefusesChangesAndTakesThemAgainWhenItGoesAway(
        @TempDir final Path dir) throws Throwable {
        final EchoServer echo = rig.track(new EchoServer("s"));
        final LoadBalancer lb = rig.start(Config.single(1, Duration.ofSeconds(1),
                new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "web",
                    TcpOptions.DEFAULTS),
                new TargetGroupConfig("web", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s0", echo.address(), 1))))
            .withAdmin(AdminConfig.on(new InetSocketAddress("127.0.0.1", 0))));
        final Http admin = new Http(lb.adminAddress());
        final AtomicBoolean stopped = new AtomicBoolean();
        final TakeoverServer control = TakeoverServer.prepare(dir.resolve("ctl.sock"), lb, false,
            () -> stopped.set(true));
        control.activate();
        try {
            try (ControlSocket successor = ControlSocket.connect(dir.resolve("ctl.sock"))) {
                successor.send("takeover 1\n", new int[0]);
                final ControlSocket.Received handed = successor.receive(256);
                for (final int fd : handed.fds()) {
                    final int closed = (int) CLOSE.invokeExact(fd);
                    assertThat(closed).isZero();
                }
                assertThat(handed.text()).startsWith("fds ");

                final HttpResponse<String> refused = admin.post("/api/groups/web/servers/s0", "state=maint");
                assertThat(refused.statusCode()).isEqualTo(503);
                assertThat(refused.headers().firstValue("retry-after")).hasValue("1");
                assertThat(refused.body()).contains("a new niolb (pid ").contains(") is taking this one's sockets "
                    + "over").contains("which may take 120 s; if it is stuck, end it (kill -9 if it is stopped) and this "
                    + "one takes changes again");
                assertThat(admin.post("/reload", "").statusCode()).isEqualTo(503);
                assertThat(lb.group("web").snapshot().server("s0").operatorMode()).isEqualTo(ServerState.UP);
            } // the successor goes away without saying "started": the old one serves on, and takes changes again

            final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            HttpResponse<String> taken = admin.post("/api/groups/web/servers/s0", "state=maint");
            while (taken.statusCode() == 503 && System.nanoTime() < deadline) {
                Thread.sleep(20); // a poll: the control thread reads the successor's end on its own time
                taken = admin.post("/api/groups/web/servers/s0", "state=maint");
            }
            assertThat(taken.statusCode()).isEqualTo(200);
            assertThat(lb.group("web").snapshot().server("s0").operatorMode()).isEqualTo(ServerState.MAINT);
            assertThat(stopped).as("not taken over").isFalse();
        } finally {
            control.close();
        }
    }

    @Test
    void aSuccessorSilentPastTheLimitThatStillRunsIsSaidStuckNotGone(@TempDir final Path dir) throws Throwable {
        final EchoServer echo = rig.track(new EchoServer("s"));
        final LoadBalancer lb = rig.start(Config.single(1, Duration.ofSeconds(1),
            new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "web", TcpOptions.DEFAULTS),
            new TargetGroupConfig("web", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s0", echo.address(), 1)))));
        final TakeoverServer control = TakeoverServer.prepare(dir.resolve("ctl.sock"), lb, false, () -> { });
        control.startTimeout(1500);
        control.activate();
        try (dev.niolb.testing.LogCapture log = dev.niolb.testing.LogCapture.of("dev.niolb.run");
             ControlSocket successor = ControlSocket.connect(dir.resolve("ctl.sock"))) {
            // this very process plays the successor: it runs, and says nothing after taking the sockets
            successor.send("takeover " + ProcessHandle.current().pid() + "\n", new int[0]);
            for (final int fd : successor.receive(256).fds()) {
                final int closed = (int) CLOSE.invokeExact(fd);
                assertThat(closed).isZero();
            }

            dev.niolb.testing.Await.until(() -> log.messages().stream().anyMatch(m -> m.contains("did not start")),
                10_000);
            assertThat(log.messages()).filteredOn(m -> m.contains("did not start")).singleElement().asString()
                .contains("(no word within 1 s, and it still runs: end it (kill -9 if it is stopped); should it "
                    + "resume, it stops itself); this niolb keeps serving"); // was "(it went away)"
        } finally {
            control.close();
        }
    }

    @Test
    void aProcessOfAnotherUserIsRefusedTheSocketsEvenWhenTheSocketFileLetsItConnect(@TempDir final Path dir)
        throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(ControlSocket.effectiveUid() == 0,
            "runs a process as another user, which takes root (CI runs as root)");
        final EchoServer echo = rig.track(new EchoServer("s"));
        final LoadBalancer lb = rig.start(Config.single(1, Duration.ofSeconds(1),
            new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "web", TcpOptions.DEFAULTS),
            new TargetGroupConfig("web", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s0", echo.address(), 1)))));
        final AtomicBoolean stopped = new AtomicBoolean();
        java.nio.file.Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        final Path socket = dir.resolve("ctl.sock");
        final TakeoverServer control = TakeoverServer.prepare(socket, lb, false, () -> stopped.set(true));
        control.activate();
        // the file as a connection made before its mode was set finds it (a umask of 000)
        java.nio.file.Files.setPosixFilePermissions(socket, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
        final Path peer = dir.resolve("Peer.java");
        java.nio.file.Files.writeString(peer, """
            import java.nio.ByteBuffer;
            import java.nio.channels.SocketChannel;
            public class Peer {
                public static void main(String[] a) throws Exception {
                    for (int i = 0; i < 3; i++) { // the first refusal logged, the others counted
                        try (SocketChannel c = SocketChannel.open(java.net.UnixDomainSocketAddress.of(a[0]))) {
                            c.write(ByteBuffer.wrap("takeover 1\\n".getBytes()));
                            ByteBuffer b = ByteBuffer.allocate(256);
                            int n = c.read(b);
                            System.out.println(n <= 0 ? "closed" : new String(b.array(), 0, n).strip());
                        } catch (java.io.IOException e) { // closed before the request was written, or reset
                            System.out.println("closed");
                        }
                    }
                }
            }
            """);
        try (dev.niolb.testing.LogCapture log = dev.niolb.testing.LogCapture.of("dev.niolb.run")) {
            final String jvm = ProcessHandle.current().info().command().orElseThrow();
            final Process p = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", jvm,
                "-XX:-UsePerfData", peer.toString(), socket.toString()).redirectErrorStream(true).start();
            assertThat(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            final String out = new String(p.getInputStream().readAllBytes()).strip();

            assertThat(out.lines().toList()).as("what uid 65534 was answered").containsExactly("closed", "closed", "closed");
            assertThat(log.messages()).filteredOn(m -> m.contains("refused a connection from pid")).singleElement()
                .asString().contains("of uid 65534");
            assertThat(stopped).isFalse();
        } finally {
            control.close();
        }
    }
}
