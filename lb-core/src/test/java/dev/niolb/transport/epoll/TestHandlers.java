package dev.niolb.transport.epoll;

import dev.niolb.loop.IoHandler;

import java.io.IOException;
import java.io.UncheckedIOException;

/** Handlers for the poller tests: a readiness runs {@code onReady}; any failure fails the test. */
final class TestHandlers {
    private TestHandlers() {
    }

    static IoHandler of(final ThrowingRunnable onReady) {
        return new IoHandler() {
            @Override
            public void onReady(final int readyOps) {
                try {
                    onReady.run();
                } catch (final IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public void onFailure(final Throwable failure) {
                throw new AssertionError(failure);
            }
        };
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws IOException;
    }
}
