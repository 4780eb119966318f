package dev.niolb.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code .deb}'s unit restarted by systemd ({@link BootedDebian}): restarts and an upgrade under a stream of new
 * connections, a restart onto another address of the same port, an operator's state kept across a restart, and
 * the socket unit's first start.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DebianSystemdRestartIT extends BootedDebian {
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
            .contains("adopted 1 listening socket a socket unit handed over")
            .contains("belong to another user");
        for (int i = 0; i < 10; i++) {
            try (Socket next = new Socket(InetAddress.getLoopbackAddress(), port)) {
                next.setSoTimeout(10_000);
                assertThat(RunProcessTest.readLine(next)).isEqualTo("deb");
            }
        }
        assertThat(systemctl("show", "-p", "NRestarts", "--value", "niolb")).as("no crash loop").isEqualTo("0");
    }
}
