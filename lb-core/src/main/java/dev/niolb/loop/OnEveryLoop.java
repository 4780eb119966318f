package dev.niolb.loop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Called from a control thread (start, reload, stop); the actions run on each loop.
 *
 * Runs one action per part of a listener (an acceptor, a receiver) on that part's own loop, and waits for all:
 * how a listener added or removed while the loops run changes its sockets without touching them from another
 * thread.
 */
public final class OnEveryLoop {
    private OnEveryLoop() {
    }

    /** What runs on a part's loop. */
    @FunctionalInterface
    public interface Action<T> {
        void run(T part) throws IOException;
    }

    /**
     * @throws IOException when an action failed, or not every loop had run it within {@code timeoutMs}
     */
    public static <T> void run(final T[] parts, final Function<T, EventLoop> loopOf, final Action<T> action,
                               final long timeoutMs) throws IOException {
        final CompletableFuture<?>[] done = new CompletableFuture<?>[parts.length];
        for (int i = 0; i < parts.length; i++) {
            final T part = parts[i];
            done[i] = loopOf.apply(part).submit(() -> {
                try {
                    action.run(part);
                } catch (final IOException e) {
                    throw new UncheckedIOException(e);
                }
                return null;
            });
        }
        try {
            CompletableFuture.allOf(done).get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (final ExecutionException | TimeoutException e) {
            throw new IOException(e.toString(), e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
