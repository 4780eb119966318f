package dev.niolb.bench.harness.proc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The kernel's clock ticks per second ({@code getconf CLK_TCK}), the unit of {@code /proc/PID/stat} CPU times
 * ({@code Figures#cpuMicros} converts them). Queried once; threadsafe.
 */
public final class ClockTicks {

    private static final long PER_SECOND = query();

    private ClockTicks() {
    }

    public static long perSecond() {
        return PER_SECOND;
    }

    private static long query() {
        try {
            final Process process = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            if (process.waitFor(5, TimeUnit.SECONDS) && process.exitValue() == 0) {
                return Long.parseLong(out);
            }
        } catch (IOException | NumberFormatException e) {
            // fall through to Linux's usual value
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 100;
    }
}
