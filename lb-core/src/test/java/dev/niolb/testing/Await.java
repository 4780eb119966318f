package dev.niolb.testing;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/** Polls a condition: for counters a loop updates just after the datagram a test has already received. */
public final class Await {
    private Await() {
    }

    public static void until(final Callable<Boolean> condition, final long timeoutMs) throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + timeoutMs + " ms");
            }
            Thread.sleep(5);
        }
    }
}
