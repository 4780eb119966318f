package dev.niolb.cli;

import com.github.dockerjava.api.model.Capability;
import dev.niolb.testing.EchoServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
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
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The {@code .deb} of {@code mvn package} installed for real: {@code dpkg -i} on a Debian root made from the host's
 * own apt sources ({@code lb-test/debian:systemd}, a debootstrap with systemd that {@code .ci/debian-images}
 * imports into the private engine), in a container that boots systemd as its PID 1, where {@code systemctl} starts
 * the package's unit with all its hardening (DynamicUser, ProtectSystem, the system call filter ...). Then
 * {@code dpkg -r} and {@code dpkg -P} as an operator would, and what they leave behind.
 *
 * <p>The container shares the host's network namespace, so niolb under systemd relays to an echo server of this
 * test on 127.0.0.1. It gets every capability but CAP_SYS_RESOURCE (which this machine's own bounding set lacks, so
 * {@code --privileged} fails here) and no seccomp filter: systemd sets up the unit's namespaces and its own filter.
 * One container per test, each booting in about a second.
 *
 * <p>Skips, with the reason, without an engine, its image or the .deb ({@link LocalEngine#skipReason}). Runs in
 * failsafe's integration-test phase, after the .deb is built.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DebianSystemdIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String DEB = "/root/niolb.deb";
    /**
     * Every path of the root file system (but the kernel's and the tmpfs ones), the users and the groups. Not the
     * journal and the timers' stamps, which systemd writes meanwhile whatever the package does.
     */
    private static final String SNAPSHOT = "find / -xdev \\( -path /proc -o -path /sys -o -path /dev -o -path /run "
        + "-o -path /tmp -o -path /var/log/journal -o -path /var/lib/systemd/timers \\) -prune -o -print | sort; "
        + "getent passwd; getent group";

    private GenericContainer<?> debian;
    private EchoServer server;

    /** Why the tests skip, or null: asked once, said once (a skip in @BeforeAll would show as 0 tests run). */
    private static String skipReason;

    @BeforeAll
    static void anEngineWithTheDebianSystemdImage() {
        skipReason = LocalEngine.skipReason(LocalEngine.DEBIAN_SYSTEMD);
        if (skipReason != null) {
            LoggerFactory.getLogger(DebianSystemdIT.class).warn("skipping the .deb under systemd: {}", skipReason);
        }
    }

    @BeforeEach
    void bootDebian() throws Exception {
        assumeTrue(skipReason == null, skipReason);
        server = new EchoServer("deb");
        debian = new GenericContainer<>(DockerImageName.parse(LocalEngine.DEBIAN_SYSTEMD))
            // a cgroup namespace of its own, where systemd's cgroup is the root: Testcontainers speaks Docker API
            // 1.32 to this engine, and for API < 1.41 a cgroup v1 engine (as here) shares the host's
            .withCommand("unshare", "--cgroup", "/sbin/init")
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

    @Test
    void systemctlStartRunsTheInstalledUnitAsADynamicUserThatRelaysAndStopEndsItCleanly() throws Exception {
        LocalEngine.sh(debian, "dpkg -i " + DEB);
        assertThat(systemctl("is-enabled", "niolb")).as("installed, not enabled").isEqualTo("disabled");
        assertThat(systemctl("is-active", "niolb")).as("installed, not started").isEqualTo("inactive");
        final int port = configure();
        // how the main process ended, in the journal: systemd forgets it once the stopped unit is unloaded, and
        // its Result would say success for a death by SIGTERM too ("+": outside the unit's sandbox)
        LocalEngine.sh(debian, "mkdir -p /run/systemd/system/niolb.service.d && printf '[Service]\\n"
            + "ExecStopPost=+/bin/sh -c \"echo main process: $$EXIT_CODE $$EXIT_STATUS\"\\n' "
            + ">/run/systemd/system/niolb.service.d/exit.conf && systemctl daemon-reload");

        LocalEngine.sh(debian, "systemctl start niolb");

        try (Socket client = greeted(port)) {
            LocalEngine.assertEchoes(client, 256 * 1024);
        }
        final String pid = systemctl("show", "-p", "MainPID", "--value", "niolb");
        assertThat(LocalEngine.sh(debian, "readlink /proc/" + pid + "/exe").strip())
            .isEqualTo("/opt/niolb/runtime/bin/java");
        final String uid = LocalEngine.sh(debian, "awk '/^Uid:/{print $2}' /proc/" + pid + "/status").strip();
        assertThat(Integer.parseInt(uid)).as("DynamicUser: a user of its own, not root").isBetween(61184, 65519);
        assertThat(LocalEngine.sh(debian, "getent passwd " + uid)).as("named by nss-systemd while it runs")
            .startsWith("niolb:x:" + uid + ":");

        LocalEngine.sh(debian, "systemctl stop niolb");

        assertThat(systemctl("is-active", "niolb")).isEqualTo("inactive");
        assertThat(LocalEngine.sh(debian, "journalctl -u niolb --no-pager -o cat"))
            .contains("listening on tcp://127.0.0.1:" + port)
            .contains("main process: exited 0")
            // the client's session may still be closing when the signal lands: 0 or 1 session
            .containsPattern("stopping: (0 sessions|1 session), grace 1s \\(SIGTERM\\)");
        assertThat(LocalEngine.sh(debian, "getent passwd " + uid + " || true")).as("the dynamic user is gone")
            .isBlank();
    }

    @Test
    void startReturnsOnceListeningAndAReloadOfAFileThatDoesNotValidateFailsAndChangesNothing() throws Exception {
        LocalEngine.sh(debian, "dpkg -i " + DEB);
        final int port = configure();

        LocalEngine.sh(debian, "systemctl start niolb"); // Type=notify: returns at READY=1

        // no retry: the listener is bound by the time systemctl start returns
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
            client.setSoTimeout(5000);
            assertThat(RunProcessTest.readLine(client)).isEqualTo("deb");
        }
        assertThat(systemctl("show", "-p", "StatusText", "--value", "niolb"))
            .matches("\\d+ sessions; group web 1/1 servers take sessions; 1 listener; reloads 0 applied, 0 refused");
        final String pid = systemctl("show", "-p", "MainPID", "--value", "niolb");

        LocalEngine.sh(debian, "cp /etc/niolb/niolb.yaml /root/good.yaml && echo 'listeners: [' >>/etc/niolb/niolb.yaml");
        final ExecResult reload = debian.execInContainer("systemctl", "reload", "niolb");

        assertThat(reload.getExitCode()).as("systemctl reload of a broken file fails").isNotZero();
        assertThat(systemctl("is-active", "niolb")).isEqualTo("active");
        assertThat(systemctl("show", "-p", "MainPID", "--value", "niolb")).isEqualTo(pid);
        assertThat(LocalEngine.sh(debian, "journalctl -u niolb -p err --no-pager -o cat"))
            .as("the check's one line, at priority err").containsPattern("(?m)^niolb: /etc/niolb/niolb.yaml:\\d+: ");
        greeted(port).close();

        LocalEngine.sh(debian, "sed 's/grace: 1s/grace: 2s/' /root/good.yaml >/etc/niolb/niolb.yaml");
        LocalEngine.sh(debian, "systemctl reload niolb");
        assertThat(awaitJournal("reload: ")).containsPattern("reload: .*grace 1s.2s");
        assertThat(systemctl("show", "-p", "MainPID", "--value", "niolb")).as("in-process").isEqualTo(pid);
    }

    @Test
    void aStartOfAFileThatDoesNotValidateFailsWithItsLineAndSystemdDoesNotRestartIntoIt() throws Exception {
        LocalEngine.sh(debian, "dpkg -i " + DEB);
        configure();
        LocalEngine.sh(debian, "echo 'listeners: [' >>/etc/niolb/niolb.yaml");

        assertThat(debian.execInContainer("systemctl", "start", "niolb").getExitCode()).isNotZero();

        // Restart=on-failure alone keeps it "activating" (auto-restart) for ever, a new JVM every 3 s: systemd's
        // start limit never trips. Exit 78 is in RestartPreventExitStatus: the unit fails and stays failed.
        awaitProperty("ActiveState", v -> v.equals("failed"));
        assertThat(systemctl("show", "-p", "SubState", "--value", "niolb")).isEqualTo("failed");
        assertThat(systemctl("show", "-p", "NRestarts", "--value", "niolb")).isEqualTo("0");
        assertThat(systemctl("show", "-p", "ExecMainStatus", "--value", "niolb")).isEqualTo("78");
        assertThat(LocalEngine.sh(debian, "journalctl -u niolb -p err --no-pager -o cat"))
            .containsPattern("(?m)^niolb: /etc/niolb/niolb.yaml:\\d+: ");
    }

    @Test
    void aNiolbThatStopsPingingTheWatchdogIsRestartedBySystemd() throws Exception {
        LocalEngine.sh(debian, "dpkg -i " + DEB);
        final int port = configure();
        LocalEngine.sh(debian, "mkdir -p /run/systemd/system/niolb.service.d && printf '[Service]\\n"
            + "WatchdogSec=2s\\nTimeoutAbortSec=2s\\n' >/run/systemd/system/niolb.service.d/watchdog.conf"
            + " && systemctl daemon-reload");
        LocalEngine.sh(debian, "systemctl start niolb");
        final String first = systemctl("show", "-p", "MainPID", "--value", "niolb");
        final String firstPing = awaitProperty("WatchdogTimestampMonotonic", v -> !v.equals("0"));
        awaitProperty("WatchdogTimestampMonotonic", v -> !v.equals(firstPing)); // pinged again: alive

        LocalEngine.sh(debian, "kill -STOP " + first); // every thread stopped, the loops with them

        awaitProperty("NRestarts", v -> v.equals("1"));
        final String second = awaitProperty("MainPID", v -> !v.equals("0") && !v.equals(first));
        assertThat(second).isNotEqualTo(first);
        assertThat(LocalEngine.sh(debian, "journalctl -u niolb --no-pager -o cat"))
            .contains("Watchdog timeout");
        awaitProperty("ActiveState", v -> v.equals("active"));
        greeted(port).close();
    }

    @Test
    void tenRestartsAndAnUpgradeUnderAStreamOfNewConnectionsRefuseNobodyAndTheOldSessionFinishes() throws Exception {
        LocalEngine.sh(debian, "dpkg -i " + DEB);
        final int port = configure();
        // systemd refuses a sixth start within 10 s (StartLimitBurst=5): eleven back to back are this test's doing
        LocalEngine.sh(debian, "mkdir -p /run/systemd/system/niolb.service.d && printf '[Unit]\\n"
            + "StartLimitIntervalSec=0\\n' >/run/systemd/system/niolb.service.d/no-limit.conf"
            + " && systemctl daemon-reload");
        LocalEngine.sh(debian, "sed -i 's/grace: 1s/grace: 20s/' /etc/niolb/niolb.yaml && systemctl start niolb");
        final java.util.concurrent.atomic.AtomicInteger served = new java.util.concurrent.atomic.AtomicInteger();
        final List<String> failures = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        final java.util.concurrent.atomic.AtomicBoolean going = new java.util.concurrent.atomic.AtomicBoolean(true);
        final Thread clients = Thread.ofPlatform().name("clients").start(() -> {
            while (going.get()) { // one after another, as fast as they are served
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    s.setSoTimeout(20_000); // a client that came during a restart waits in the backlog
                    if ("deb".equals(RunProcessTest.readLine(s))) {
                        served.incrementAndGet();
                    } else {
                        failures.add("no greeting");
                    }
                } catch (final IOException | RuntimeException e) {
                    failures.add(e.toString());
                }
            }
        });
        try {
            String pid = systemctl("show", "-p", "MainPID", "--value", "niolb");
            // the first restart with a session of the old niolb open through it: it still relays while the old
            // niolb stops, and ends when its client is done
            try (Socket session = greeted(port)) {
                LocalEngine.sh(debian, "systemctl restart --no-block niolb");
                awaitJournal("stopping: ");
                session.getOutputStream().write("still here\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                assertThat(RunProcessTest.readLine(session)).isEqualTo("still here");
            }
            for (int restart = 1; restart <= 11; restart++) {
                final int before = served.get();
                if (restart == 11) { // an upgrade: the same build repacked as version 99, installed over it
                    LocalEngine.sh(debian, "rm -rf /root/up && dpkg-deb -R " + DEB + " /root/up"
                        + " && sed -i 's/^Version: .*/Version: 99/' /root/up/DEBIAN/control"
                        + " && dpkg-deb -Znone -b /root/up /root/niolb-99.deb >/dev/null && dpkg -i /root/niolb-99.deb");
                    assertThat(LocalEngine.sh(debian, "dpkg-query -W -f='${Version}' niolb")).isEqualTo("99");
                } else if (restart > 1) {
                    LocalEngine.sh(debian, "systemctl restart niolb");
                }
                final String previous = pid;
                pid = awaitProperty("MainPID", v -> !v.equals("0") && !v.equals(previous));
                final long deadline = System.nanoTime() + WAIT.toNanos();
                while (served.get() < before + 20 && System.nanoTime() < deadline) {
                    Thread.sleep(10); // the stream goes on through the new process
                }
                assertThat(served.get()).as("served after restart %d", restart).isGreaterThanOrEqualTo(before + 20);
                awaitProperty("ActiveState", v -> v.equals("active"));
            }
        } finally {
            going.set(false);
            clients.join();
        }
        assertThat(failures).as("refused or reset during restarts").isEmpty();
        assertThat(LocalEngine.sh(debian, "journalctl -u niolb --no-pager -o cat"))
            .contains("systemd keeps 1 listening socket open across restarts (FDSTORE)")
            .contains("adopted 1 listening socket from before the restart");
    }

    @Test
    void aRestartOntoTheWildcardOfTheSamePortClosesTheStoredSocketAndListens() throws Exception {
        LocalEngine.sh(debian, "dpkg -i " + DEB);
        final int port = configure();
        LocalEngine.sh(debian, "systemctl start niolb");
        greeted(port).close();
        awaitJournal("systemd keeps 1 listening socket open across restarts (FDSTORE)");
        final String before = systemctl("show", "-p", "MainPID", "--value", "niolb");

        // the stored socket holds 127.0.0.1:P; without closing it first, binding 0.0.0.0:P failed, and systemd
        // restarted niolb into the same failure again and again
        LocalEngine.sh(debian, "sed -i 's/bind: 127.0.0.1:/bind: 0.0.0.0:/' /etc/niolb/niolb.yaml"
            + " && systemctl restart niolb");

        awaitProperty("MainPID", v -> !v.equals("0") && !v.equals(before));
        greeted(port).close();
        assertThat(systemctl("show", "-p", "NRestarts", "--value", "niolb")).isEqualTo("0");
        assertThat(LocalEngine.sh(debian, "journalctl -u niolb --no-pager -o cat"))
            .contains("closed 1 listening sockets handed over that this config does not use: tcp://127.0.0.1:" + port)
            .contains("listening on tcp://0.0.0.0:" + port);
    }

    @Test
    void aServerPutInMaintenanceStaysSoAcrossASystemctlRestart() throws Exception {
        LocalEngine.sh(debian, "dpkg -i " + DEB);
        final int port = configure();
        final int admin = LocalEngine.freePort();
        LocalEngine.sh(debian, "sed -i 's/address: none/address: 127.0.0.1:" + admin + "/' /etc/niolb/niolb.yaml"
            + " && systemctl start niolb");
        greeted(port).close();
        final String server = "127.0.0.1:" + this.server.address().getPort();
        LocalEngine.sh(debian, "/usr/bin/niolb server maint web " + server + " --admin 127.0.0.1:" + admin);
        final String before = systemctl("show", "-p", "MainPID", "--value", "niolb");

        LocalEngine.sh(debian, "systemctl restart niolb");

        awaitProperty("MainPID", v -> !v.equals("0") && !v.equals(before));
        awaitJournal("operator states from /var/lib/niolb/operator-states: web/" + server + " maint");
        assertThat(LocalEngine.sh(debian, "/usr/bin/niolb stats --json --admin 127.0.0.1:" + admin))
            .contains("\"state\":\"maint\"");
        assertThat(LocalEngine.sh(debian, "stat -c %U /var/lib/private/niolb/operator-states"))
            .as("written by the unit's dynamic user").startsWith("niolb");
    }

    @Test
    void theSocketUnitStartsNiolbOnTheFirstClientWhoWaitsInTheBacklogAndIsServed() throws Exception {
        LocalEngine.sh(debian, "dpkg -i " + DEB);
        // two threads: the socket is root's, niolb's dynamic user's can join no group of it (session 22)
        final int port = configure(2);
        LocalEngine.sh(debian, "mkdir -p /run/systemd/system/niolb.socket.d && printf '[Socket]\\nListenStream=\\n"
            + "ListenStream=127.0.0.1:" + port + "\\n' >/run/systemd/system/niolb.socket.d/port.conf"
            + " && systemctl daemon-reload && systemctl start niolb.socket");
        assertThat(systemctl("is-active", "niolb")).as("not started yet").isEqualTo("inactive");

        try (Socket first = new Socket(InetAddress.getLoopbackAddress(), port)) { // no retry: systemd listens
            first.setSoTimeout(30_000);
            assertThat(RunProcessTest.readLine(first)).as("served once niolb has started").isEqualTo("deb");
        }

        // READY=1 follows the start, and may come a moment after the first client is served
        awaitProperty("ActiveState", v -> v.equals("active"));
        assertThat(LocalEngine.sh(debian, "journalctl -u niolb --no-pager -o cat"))
            .contains("adopted 1 listening socket from before the restart")
            .contains("belong to another user");
        for (int i = 0; i < 10; i++) {
            try (Socket next = new Socket(InetAddress.getLoopbackAddress(), port)) {
                next.setSoTimeout(10_000);
                assertThat(RunProcessTest.readLine(next)).isEqualTo("deb");
            }
        }
        assertThat(systemctl("show", "-p", "NRestarts", "--value", "niolb")).as("no crash loop").isEqualTo("0");
    }

    /** The value of a unit property once {@code until} accepts it. */
    private String awaitProperty(final String property, final java.util.function.Predicate<String> until)
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
    private String awaitJournal(final String text) throws Exception {
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

    @Test
    void dpkgRemoveStopsAndDisablesTheRunningServiceAndKeepsOnlyTheConfig() throws Exception {
        LocalEngine.sh(debian, "dpkg -i " + DEB);
        final int port = configure();
        LocalEngine.sh(debian, "systemctl enable --now niolb");
        greeted(port).close();

        LocalEngine.sh(debian, "dpkg -r niolb");

        assertThat(systemctl("is-active", "niolb")).isEqualTo("inactive");
        assertThat(LocalEngine.sh(debian, "dpkg-query -W -f='${db:Status-Abbrev}' niolb")).isEqualTo("rc ");
        assertThat(LocalEngine.sh(debian, "ls /etc/niolb; ls /lib/systemd/system/niolb.service "
            + "/etc/systemd/system/multi-user.target.wants/niolb.service /usr/bin/niolb /opt/niolb 2>&1 || true"))
            .as("the conffile stays; the unit, its enablement, the command and the files are gone")
            .startsWith("niolb.yaml\n").contains("cannot access '/lib/systemd/system/niolb.service'",
                "cannot access '/etc/systemd/system/multi-user.target.wants/niolb.service'",
                "cannot access '/usr/bin/niolb'", "cannot access '/opt/niolb'");
        assertRefused(port);
    }

    @Test
    void dpkgPurgeAfterARunLeavesTheSystemAsItWasBeforeTheInstall() throws Exception {
        final String before = LocalEngine.sh(debian, SNAPSHOT);
        LocalEngine.sh(debian, "dpkg -i " + DEB);
        final int port = configure();
        LocalEngine.sh(debian, "systemctl enable --now niolb");
        greeted(port).close();
        LocalEngine.sh(debian, "dpkg -r niolb");

        LocalEngine.sh(debian, "dpkg -P niolb");

        assertThat(LocalEngine.sh(debian, "dpkg-query -W niolb 2>&1 || true"))
            .contains("no packages found matching niolb");
        assertThat(systemctl("list-unit-files", "niolb.service", "--no-legend")).isBlank();
        final List<String> after = LocalEngine.sh(debian, SNAPSHOT).lines().toList();
        final List<String> was = before.lines().toList();
        assertThat(after.stream().filter(line -> !was.contains(line)).toList()).as("left behind").isEmpty();
        assertThat(was.stream().filter(line -> !after.contains(line)).toList()).as("taken away").isEmpty();
    }

    /** The example config with its listener on a free loopback port, the admin API off, and this test's server. */
    private int configure() throws Exception {
        return configure(1);
    }

    /** As {@link #configure()}, with {@code threads} event loops. */
    private int configure(final int threads) throws Exception {
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

    private String systemctl(final String... args) throws Exception {
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
    private Socket greeted(final int port) throws Exception {
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

    private static void assertRefused(final int port) {
        try (Socket connected = new Socket(InetAddress.getLoopbackAddress(), port)) {
            throw new AssertionError("something still listens on " + connected.getRemoteSocketAddress());
        } catch (final IOException refused) {
            assertThat(refused).hasMessageContaining("Connection refused");
        }
    }
}
