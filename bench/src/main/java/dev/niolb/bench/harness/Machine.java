package dev.niolb.bench.harness;

import dev.niolb.bench.harness.proc.ClockTicks;
import dev.niolb.bench.harness.proc.FileLimit;
import dev.niolb.bench.harness.target.Executables;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** A few lines describing the machine a run is on: CPUs, kernel, JDK, peer versions, limits. */
final class Machine {

    private Machine() {
    }

    static String describe() {
        return "machine: " + Runtime.getRuntime().availableProcessors() + " CPUs, " + cpuModel()
            + "; kernel " + read("/proc/sys/kernel/osrelease").orElse("?")
            + "\njdk: " + System.getProperty("java.vm.name") + " " + Runtime.version()
            + "\npeers: " + version("haproxy", "-v") + "; " + version("nginx", "-v")
            + "\nCLK_TCK " + ClockTicks.perSecond() + "; open-file limit "
            + (FileLimit.soft().isPresent() ? FileLimit.soft().getAsLong() : "unlimited");
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }

    private static Optional<String> read(final String file) {
        try {
            return Optional.of(Files.readString(Path.of(file)).strip());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The first line a program prints for its version flag, or "NAME not installed". */
    static String version(final String name, final String flag) {
        final Optional<Path> binary = Executables.find(name);
        if (binary.isEmpty()) {
            return name + " not installed";
        }
        try {
            final Process p = new ProcessBuilder(binary.get().toString(), flag).redirectErrorStream(true).start();
            final String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(5, TimeUnit.SECONDS);
            return text.lines().findFirst().orElse(name).strip();
        } catch (IOException e) {
            return name + " (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return name;
        }
    }
}
