package dev.niolb.cli.systemd;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * {@code CLOCK_MONOTONIC} in microseconds, read with {@code clock_gettime} through the FFM API: the clock systemd
 * compares {@code MONOTONIC_USEC=} with when a reload starts. ({@link System#nanoTime()} reads the same clock on
 * Linux today, but nothing promises it.)
 *
 * <p>Threading: any thread; each call allocates its {@code struct timespec} in an arena of its own (reloads are
 * rare).
 */
final class Monotonic {
    private static final int CLOCK_MONOTONIC = 1;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle CLOCK_GETTIME = LINKER.downcallHandle(
        LINKER.defaultLookup().find("clock_gettime").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));

    private Monotonic() {
    }

    /** Microseconds of {@code CLOCK_MONOTONIC}. */
    static long micros() {
        try (Arena a = Arena.ofConfined()) {
            final MemorySegment timespec = a.allocate(16, 8); // struct timespec { long tv_sec; long tv_nsec; }
            final int rc = (int) CLOCK_GETTIME.invokeExact(CLOCK_MONOTONIC, timespec);
            if (rc != 0) {
                throw new IllegalStateException("clock_gettime(CLOCK_MONOTONIC) failed");
            }
            return timespec.get(ValueLayout.JAVA_LONG, 0) * 1_000_000L + timespec.get(ValueLayout.JAVA_LONG, 8) / 1000;
        } catch (final RuntimeException | Error e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
