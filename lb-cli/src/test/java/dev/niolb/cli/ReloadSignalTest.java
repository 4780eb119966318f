package dev.niolb.cli;

import dev.niolb.LoadBalancer;
import dev.niolb.config.file.ConfigFile;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** What a SIGHUP applies, against a real engine started from a config file. */
@Timeout(60)
class ReloadSignalTest {
    private static final String CONFIG = """
        defaults:
          threads: 1
          grace: 1s
        admin:
          address: none
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

    @Test
    void aSighupWhileASuccessorTakesTheSocketsOverChangesNothingAndSaysWhy() throws Exception {
        final Path file = Files.writeString(dir.resolve("niolb.yaml"), CONFIG);
        final LoadBalancer lb = rig.start(new ConfigFile(file).load());
        Files.writeString(file, CONFIG + "      - 127.0.0.1:10,name=two\n");
        lb.operatorChanges().close("pid 4242", 120); // as the takeover does once it hands the sockets over

        try (LogCapture log = LogCapture.of("dev.niolb.run")) {
            ReloadSignal.apply(lb, new ConfigFile(file).load());

            assertThat(log.messages()).singleElement().asString().startsWith("SIGHUP: not reloaded: a new niolb "
                + "(pid 4242) is taking this one's sockets over").contains("0 s into its start, which may take 120 s; "
                + "if it is stuck, end it (kill -9 if it is stopped) and this one takes changes again); the new niolb "
                + "reads the config file");
        }
        assertThat(lb.config().groups().getFirst().servers()).extracting(s -> s.name()).containsExactly("one");

        lb.operatorChanges().open(); // the successor did not start
        ReloadSignal.apply(lb, new ConfigFile(file).load());
        assertThat(lb.config().groups().getFirst().servers()).extracting(s -> s.name()).containsExactly("one", "two");
    }
}
