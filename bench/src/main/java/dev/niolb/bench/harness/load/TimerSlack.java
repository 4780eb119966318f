package dev.niolb.bench.harness.load;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Sets the calling thread's Linux timer slack ({@code prctl(PR_SET_TIMERSLACK)}). By default the kernel
 * may wake a sleeping thread up to 50 µs late to batch wake-ups; a fixed-rate client that parks until
 * each intended send time would add that lateness to every latency it records. Best effort: on another
 * OS, or without native access, it does nothing and says so once.
 */
public final class TimerSlack {

    private static final int PR_SET_TIMERSLACK = 29;
    private static final MethodHandle PRCTL = lookup();

    private TimerSlack() {
    }

    /** Sets this thread's timer slack; returns false when it could not. */
    public static boolean set(final long nanos) {
        if (PRCTL == null) {
            return false;
        }
        try {
            return (int) PRCTL.invokeExact(PR_SET_TIMERSLACK, nanos, 0L, 0L, 0L) == 0;
        } catch (Throwable e) {
            return false;
        }
    }

    private static MethodHandle lookup() {
        try {
            final Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("prctl").map(prctl -> linker.downcallHandle(prctl,
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
                Linker.Option.firstVariadicArg(1))).orElse(null);
        } catch (RuntimeException | LinkageError e) {
            System.err.println("timer slack stays at the default: " + e);
            return null;
        }
    }
}
