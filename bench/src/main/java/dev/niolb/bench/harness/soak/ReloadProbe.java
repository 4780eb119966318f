package dev.niolb.bench.harness.soak;

import dev.niolb.bench.harness.target.ManagedProcess;
import dev.niolb.bench.harness.target.Ports;
import dev.niolb.bench.harness.target.Target;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Finds out, by trying, whether a niolb build reloads its config file on SIGHUP: a throwaway niolb is started
 * with {@code run --config} and sent SIGHUP; one that has no handler for it ends (a JVM's default), one that
 * reloads goes on. Help texts change; behaviour is what the soak relies on.
 */
final class ReloadProbe {
    private ReloadProbe() {
    }

    /** Null when {@code prefix run --config FILE} starts and survives SIGHUP; else why reloads are off. */
    static String whyNot(final List<String> prefix, final Path dir) {
        final InetAddress host = InetAddress.getLoopbackAddress();
        final InetSocketAddress listen = Ports.freeTcp(host);
        final Path config = dir.resolve("reload-probe.yaml");
        final List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of("run", "--config", config.toString()));
        try {
            Files.writeString(config, "listeners:\n  - bind: " + Target.format(listen) + "\n    group: g\n"
                + "groups:\n  - name: g\n    servers:\n      - " + Target.format(Ports.freeTcp(host)) + "\n",
                StandardCharsets.UTF_8);
            try (ManagedProcess niolb = ManagedProcess.start("niolb (reload probe)", command,
                dir.resolve("reload-probe.log"))) {
                try {
                    niolb.awaitListening(listen, Duration.ofSeconds(30));
                } catch (final IOException e) {
                    return "this niolb does not run from a config file (" + niolb.logTail() + ")";
                }
                // the port is bound a moment before the signal handlers are in place: a SIGHUP then would end
                // any niolb, so wait until it is surely past its start
                Thread.sleep(2000);
                final Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(niolb.pid())).start();
                kill.waitFor(5, TimeUnit.SECONDS);
                Thread.sleep(1500);
                return niolb.alive() ? null : "this niolb ends on SIGHUP instead of reloading";
            }
        } catch (final IOException e) {
            return "the reload probe failed: " + e.getMessage();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
