package dev.niolb.cli;

import dev.niolb.LoadBalancer;
import dev.niolb.config.file.ConfigFile;
import dev.niolb.testing.EngineRig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code niolb reload} against a real engine started from a config file, its admin API on port 0. */
@Timeout(60)
class ReloadCommandTest {
    private static final String CONFIG = """
        defaults:
          threads: 1
          grace: 1s
        admin:
          address: 127.0.0.1:0
        listeners:
          - name: front
            bind: 127.0.0.1:0
            group: web
        groups:
          - name: web
            servers:
              - 127.0.0.1:9,name=one
        """;

    @TempDir
    Path dir;
    @RegisterExtension
    final EngineRig rig = new EngineRig();
    private Path file;
    private LoadBalancer lb;
    private String admin;

    @BeforeEach
    void start() throws Exception {
        file = Files.writeString(dir.resolve("niolb.yaml"), CONFIG);
        final ConfigFile source = new ConfigFile(file);
        lb = rig.start(source.load());
        lb.configSource(source);
        admin = "127.0.0.1:" + lb.adminAddress().getPort();
    }

    @Test
    void reloadAppliesTheEditedFileAndPrintsWhatChanged() throws Exception {
        // a second server, at the first one's indentation (the text block's is stripped)
        Files.writeString(file, CONFIG + "      - 127.0.0.1:10,name=two\n");

        final Cli result = Cli.run("reload", "--admin", admin);

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).startsWith("reloaded " + file + ": ").contains("two");
        assertThat(lb.group("web").snapshot().server("two")).isNotNull();
    }

    @Test
    void aFileWhoseAdminAddressChangedSinceTheStartSaysToGiveTheRunningOne() throws Exception {
        // reload --config FILE asks the file's admin address: once edited, not the one niolb listens on
        final int moved;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            moved = free.getLocalPort();
        }
        Files.writeString(file, CONFIG.replace("address: 127.0.0.1:0", "address: 127.0.0.1:" + moved));

        final Cli result = Cli.run("reload", "--config", file.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.errLines()).containsExactly("niolb: cannot reach the admin API at 127.0.0.1:" + moved
            + ": connection refused (the admin.address of " + file + "; is niolb running? if that file's address "
            + "changed since it started, give --admin with the one it listens on)");
    }

    @Test
    void aFileThatDoesNotValidateIsRefusedInOneLineWithExitCode1AndNothingChanges() throws Exception {
        Files.writeString(file, CONFIG.replace("servers:", "balance: fastest\n    servers:"));

        final Cli result = Cli.run("reload", "--admin", admin);

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.out()).isEmpty();
        assertThat(result.errLines()).singleElement().asString().startsWith("niolb: reload refused: " + file + ":")
            .contains("unknown balance algorithm 'fastest'", "(HTTP 422)");
        assertThat(lb.group("web").snapshot().server("one")).isNotNull();
    }
}
