package dev.niolb.testing;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ServerSocket;
import java.time.Duration;

/**
 * Closing a test server's listening socket so that its port refuses connects once the close returns.
 *
 * <p>The JDK does not close a socket that a virtual thread is blocked on: {@code close} wakes the thread, and the
 * descriptor is closed only when that thread leaves {@code accept}. Until then the socket still listens, and the
 * kernel completes handshakes to it that are reset a moment later. On a loaded machine the virtual thread can run
 * milliseconds later, so a test that closed a server and expected "connection refused" saw a connect succeed and
 * then a reset. Waiting for the accept loop to end closes that window.
 */
public final class Acceptors {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private Acceptors() {
    }

    /** Closes {@code socket} and waits until {@code acceptor}, the thread accepting on it, has ended. */
    public static void closeAndAwait(final ServerSocket socket, final Thread acceptor) throws IOException {
        socket.close();
        if (acceptor == null || acceptor == Thread.currentThread()) {
            return;
        }
        try {
            if (!acceptor.join(WAIT)) {
                throw new AssertionError("a test server's accept loop still runs " + WAIT + " after its socket closed");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while a test server's accept loop ended");
        }
    }
}
