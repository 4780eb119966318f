package dev.niolb.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code niolb check --config NEW --diff --against RUNNING}: what a reload would change, in one line. */
class CheckDiffTest {
    private static final String RUNNING = """
        defaults:
          threads: 2
        listeners:
          - name: front
            bind: 127.0.0.1:8080
          - name: old
            bind: 127.0.0.1:8081
        groups:
          - name: web
            servers:
              - 10.0.0.1:80,name=s1
              - 10.0.0.2:80,name=s2
        """;

    @TempDir
    Path dir;

    private Path file(final String name, final String yaml) throws IOException {
        return Files.writeString(dir.resolve(name), yaml);
    }

    @Test
    void whatOnlyARestartChangesIsSaidApartAsTheReloadItselfSaysIt() throws IOException {
        final Path running = file("running.yaml", RUNNING);
        final Path next = file("next.yaml", RUNNING.replace("threads: 2", "threads: 1\n  idle-timeout: 5m")
            .replace("bind: 127.0.0.1:8080", "bind: 127.0.0.1:8080\n    backlog: 50"));

        final Cli result = Cli.run("check", "--config", next.toString(), "--diff", "--against", running.toString());

        assertThat(result.exitCode()).isZero();
        assertThat(result.out().strip()).isEqualTo("reload: listener front: idle-timeout 10m→5m, listener old: "
            + "idle-timeout 10m→5m; not applied until a restart: listener front: backlog 1024→50, threads 2→1");
    }

    @Test
    void anAdminAddressTurnedOffIsSaidAsTheFileSaysIt() throws IOException {
        final Path running = file("running.yaml", "admin:\n  address: 127.0.0.1:9901\n" + RUNNING);
        final Path next = file("next.yaml", "admin:\n  address: none\n" + RUNNING);

        final Cli result = Cli.run("check", "--config", next.toString(), "--diff", "--against", running.toString());

        assertThat(result.exitCode()).isZero();
        assertThat(result.out().strip()).startsWith("reload: no change; not applied until a restart: admin.address ")
            .doesNotContain("required");
    }

    @Test
    void printsWhatAReloadWouldChangeInOneLine() throws IOException {
        final Path running = file("running.yaml", RUNNING);
        final Path next = file("next.yaml", """
            defaults:
              threads: 2
            listeners:
              - name: front
                bind: 127.0.0.1:8080
              - name: tcp-b
                bind: 127.0.0.1:8082
            groups:
              - name: web
                balance: leastconn
                servers:
                  - 10.0.0.2:80,name=s2,weight=3
                  - 10.0.0.3:80,name=s3
            """);

        final Cli result = Cli.run("check", "--config", next.toString(), "--diff", "--against", running.toString());

        assertThat(result.exitCode()).isZero();
        assertThat(result.out().strip()).isEqualTo("reload: +listener tcp-b, -listener old, group web: +server s3, "
            + "-server s1 (draining), s2 weight 1→3, balance roundrobin→leastconn");
    }

    @Test
    void theSameFileIsNoChange() throws IOException {
        final Path running = file("running.yaml", RUNNING);

        final Cli result = Cli.run("check", "--config", running.toString(), "--diff", "--against", running.toString());

        assertThat(result.exitCode()).isZero();
        assertThat(result.out().strip()).isEqualTo("reload: no change");
    }

    @Test
    void anInvalidNewFileIsOneLineAndExitCode1() throws IOException {
        final Path running = file("running.yaml", RUNNING);
        final Path next = file("next.yaml", RUNNING.replace("name=s2", "name=s2,weight=900"));

        final Cli result = Cli.run("check", "--config", next.toString(), "--diff", "--against", running.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.errLines()).hasSize(1);
        assertThat(result.errLines().getFirst()).startsWith("niolb: " + next + ":").contains("weight must be 0..256");
    }

    @Test
    void diffWithoutAgainstIsAUsageError() throws IOException {
        final Path running = file("running.yaml", RUNNING);

        final Cli result = Cli.run("check", "--config", running.toString(), "--diff");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.errLines().getFirst()).isEqualTo("niolb: --diff needs --against FILE (the config running now)");
    }
}
