package dev.niolb.cli;

import com.github.dockerjava.api.model.Capability;
import dev.niolb.testing.EchoServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A Debian root made from the host's own apt sources ({@code lb-test/debian:systemd}, a debootstrap with systemd
 * that {@code .ci/debian-images} imports into the private engine), booted for each test in a container where
 * systemd is PID 1, with the {@code .deb} of {@code mvn package} copied in: its subclasses install it, run its unit
 * with all its hardening (DynamicUser, ProtectSystem, the system call filter ...) and take it away again, as an
 * operator would. Two classes of them, so that failsafe's two forks share the minutes they take.
 *
 * <p>The container shares the host's network namespace, so niolb under systemd relays to an echo server of the
 * test on 127.0.0.1. It gets every capability but CAP_SYS_RESOURCE (which this machine's own bounding set lacks, so
 * {@code --privileged} fails here) and no seccomp filter: systemd sets up the unit's namespaces and its own filter.
 * One container per test, each booting in about a second.
 *
 * <p>Skips, with the reason, without an engine, its image or the .deb ({@link LocalEngine#skipReason}). Runs in
 * failsafe's integration-test phase, after the .deb is built.
 */
abstract class BootedDebian {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final String DEB = "/root/niolb.deb";
    GenericContainer<?> debian;
    EchoServer server;

    /** Why the tests skip, or null: asked once, said once (a skip in @BeforeAll would show as 0 tests run). */
    private static String skipReason;

    @BeforeAll
    static void anEngineWithTheDebianSystemdImage() {
        skipReason = LocalEngine.skipReason(LocalEngine.DEBIAN_SYSTEMD);
        if (skipReason != null) {
            LoggerFactory.getLogger(BootedDebian.class).warn("skipping the .deb under systemd: {}", skipReason);
        }
    }

    @BeforeEach
    void bootDebian() throws Exception {
        assumeTrue(skipReason == null, skipReason);
        server = new EchoServer("deb");
        debian = new GenericContainer<>(DockerImageName.parse(LocalEngine.DEBIAN_SYSTEMD))
            // a cgroup namespace of its own, where systemd's cgroup is the root: Testcontainers speaks Docker API
            // 1.32 to this engine, and for API < 1.41 a cgroup v1 engine (as here) shares the host's
            // and / shared, as systemd has it on a host: Docker's mounts are private, and a unit's mount namespace
            // then saw its credentials directory (LoadCredential=) empty
            .withCommand("unshare", "--cgroup", "sh", "-c", "mount --make-rshared / && exec /sbin/init")
            .withNetworkMode("host")
            .withTmpFs(Map.of("/run", "rw", "/run/lock", "rw"))
            .withCopyFileToContainer(MountableFile.forHostPath(LocalEngine.deb()), DEB)
            .withCreateContainerCmdModifier(cmd -> {
                cmd.withStopSignal("SIGRTMIN+3"); // systemd's "halt"
                cmd.getHostConfig().withCapAdd(Capability.ALL).withCapDrop(Capability.SYS_RESOURCE)
                    .withSecurityOpts(List.of("seccomp=unconfined"));
            });
        debian.start();
        awaitBooted();
    }

    @AfterEach
    void stop() throws Exception {
        if (debian != null) {
            debian.stop();
        }
        if (server != null) {
            server.close();
        }
    }

    /** The value of a unit property once {@code until} accepts it. */
    String awaitProperty(final String property, final java.util.function.Predicate<String> until)
        throws Exception {
        final long deadline = System.nanoTime() + WAIT.toNanos();
        String value = "";
        while (System.nanoTime() < deadline) {
            value = systemctl("show", "-p", property, "--value", "niolb");
            if (until.test(value)) {
                return value;
            }
            Thread.sleep(100); // systemd has no way to wait for a property; the state under test changes by itself
        }
        throw new AssertionError(property + " stayed " + value + " for " + WAIT + "\n"
            + LocalEngine.sh(debian, "journalctl -u niolb --no-pager -o cat"));
    }

    /** The unit's journal once it contains {@code text}. */
    String awaitJournal(final String text) throws Exception {
        final long deadline = System.nanoTime() + WAIT.toNanos();
        String journal = "";
        while (System.nanoTime() < deadline) {
            journal = LocalEngine.sh(debian, "journalctl -u niolb --no-pager -o cat");
            if (journal.contains(text)) {
                return journal;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no '" + text + "' in the journal within " + WAIT + ":\n" + journal);
    }

    /** The example config with its listener on a free loopback port, the admin API off, and this test's server. */
    int configure() throws Exception {
        return configure(1);
    }

    /** As {@link #configure()}, with {@code threads} event loops. */
    int configure(final int threads) throws Exception {
        final int port = LocalEngine.freePort();
        LocalEngine.sh(debian, """
            cat >/etc/niolb/niolb.yaml <<EOF
            defaults:
              threads: %d
              grace: 1s
            admin:
              address: none
            listeners:
              - bind: 127.0.0.1:%d
            groups:
              - name: web
                servers: [127.0.0.1:%d]
            EOF
            """.formatted(threads, port, server.address().getPort()));
        return port;
    }

    String systemctl(final String... args) throws Exception {
        final String[] command = new String[args.length + 1];
        command[0] = "systemctl";
        System.arraycopy(args, 0, command, 1, args.length);
        // is-active and is-enabled exit non-zero for "inactive" and "disabled": their output is the answer
        return debian.execInContainer(command).getStdout().strip();
    }

    /** Until systemd answers that the boot is done: "running", or "degraded" with the failed units listed. */
    private void awaitBooted() throws Exception {
        final long deadline = System.nanoTime() + WAIT.toNanos();
        String state = "";
        while (System.nanoTime() < deadline) {
            final ExecResult r = debian.execInContainer("systemctl", "is-system-running", "--wait");
            state = r.getStdout().strip();
            if (state.equals("running")) {
                return;
            }
            if (state.equals("degraded")) {
                throw new AssertionError("systemd booted degraded:\n"
                    + debian.execInContainer("systemctl", "--failed", "--no-pager").getStdout());
            }
            Thread.sleep(100); // no bus yet: systemd is still starting
        }
        throw new AssertionError("systemd did not finish booting within " + WAIT + ": " + state);
    }

    /** A connection through niolb that got the server's greeting, once niolb (started by systemd) listens. */
    Socket greeted(final int port) throws Exception {
        final long deadline = System.nanoTime() + WAIT.toNanos();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            try {
                final Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
                s.setSoTimeout(5000);
                assertThat(RunProcessTest.readLine(s)).isEqualTo("deb");
                return s;
            } catch (final IOException notYet) {
                last = notYet;
                Thread.sleep(50);
            }
        }
        throw new AssertionError("niolb does not relay on 127.0.0.1:" + port + " within " + WAIT + "\n"
            + debian.execInContainer("journalctl", "-u", "niolb", "--no-pager").getStdout(), last);
    }

    static void assertRefused(final int port) {
        try (Socket connected = new Socket(InetAddress.getLoopbackAddress(), port)) {
            throw new AssertionError("something still listens on " + connected.getRemoteSocketAddress());
        } catch (final IOException refused) {
            assertThat(refused).hasMessageContaining("Connection refused");
        }
    }
}
