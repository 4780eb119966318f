package dev.niolb.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.containers.Container.ExecResult;

import java.net.InetAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code .deb} installed for real and its unit run by systemd ({@link BootedDebian}): start, stop, reload, the
 * watchdog, a file that does not validate, then {@code dpkg -r} and {@code dpkg -P} and what they leave behind.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DebianSystemdIT extends BootedDebian {
    /**
     * Every path of the root file system (but the kernel's and the tmpfs ones), the users and the groups. Not the
     * journal and the timers' stamps, which systemd writes meanwhile whatever the package does.
     */
    private static final String SNAPSHOT = "find / -xdev \\( -path /proc -o -path /sys -o -path /dev -o -path /run "
        + "-o -path /tmp -o -path /var/log/journal -o -path /var/lib/systemd/timers \\) -prune -o -print | sort; "
        + "getent passwd; getent group";


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
    void aRootOnlyTokenHandedOverAsACredentialGuardsTheAdminApiOfTheDynamicUser() throws Exception {
        LocalEngine.sh(debian, "dpkg -i " + DEB);
        final int port = LocalEngine.freePort();
        final int admin = LocalEngine.freePort();
        final String name = "127.0.0.1:" + server.address().getPort();
        LocalEngine.sh(debian, """
            install -m 0600 /dev/null /etc/niolb/admin-token && echo s3cret-token-under-systemd >/etc/niolb/admin-token
            cat >/etc/niolb/niolb.yaml <<EOF
            defaults:
              grace: 1s
            admin:
              address: 127.0.0.1:%d
              token-file: /etc/niolb/admin-token
            listeners:
              - bind: 127.0.0.1:%d
            groups:
              - name: web
                servers: [%s]
            EOF
            mkdir -p /run/systemd/system/niolb.service.d
            printf '[Service]\\nLoadCredential=admin-token:/etc/niolb/admin-token\\n' >/run/systemd/system/niolb.service.d/token.conf
            systemctl daemon-reload
            """.formatted(admin, port, name));

        final ExecResult started = debian.execInContainer("systemctl", "start", "niolb");
        assertThat(started.getExitCode()).as("the dynamic user reads the copy of a root-only file it could not: %s",
            LocalEngine.sh(debian, "journalctl -u niolb --no-pager -o cat | tail -20")).isZero();

        greeted(port).close();
        assertThat(LocalEngine.sh(debian, "stat -c '%a %U' /etc/niolb/admin-token").strip()).isEqualTo("600 root");
        final ExecResult without = debian.execInContainer("niolb", "server", "drain", "--admin", "127.0.0.1:" + admin,
            "web", name);
        assertThat(without.getExitCode()).isEqualTo(1);
        assertThat(without.getStderr()).contains("(HTTP 401)");
        assertThat(LocalEngine.sh(debian, "niolb server drain --config /etc/niolb/niolb.yaml web " + name))
            .as("root's CLI reads the token file the config names").contains("DRAIN");
        final ExecResult reloaded = debian.execInContainer("systemctl", "reload", "niolb");
        assertThat(reloaded.getExitCode()).as("ExecReload's check, as root, reads the root-only token file: %s",
            LocalEngine.sh(debian, "journalctl -u niolb --no-pager -o cat | tail -20")).isZero();
        assertThat(awaitJournal("reload: ")).contains("reload: no change");
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
}
