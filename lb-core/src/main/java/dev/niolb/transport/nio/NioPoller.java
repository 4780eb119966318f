package dev.niolb.transport.nio;

import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Poller;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.function.Consumer;

/**
 * Runs on its loop's thread (wakeup from any thread).
 *
 * A loop's {@link Selector}. {@code Ready} flags are {@code SelectionKey}'s own values, so readiness and interest
 * pass through untranslated.
 *
 * <p>Threading: the owning loop's thread, except {@link #wakeup()}.
 */
final class NioPoller implements Poller {
    private final Selector selector;
    private final Consumer<SelectionKey> onSelected;

    NioPoller(final Poller.Dispatch dispatch) throws IOException {
        this.selector = Selector.open();
        this.onSelected = key -> {
            // a handler earlier in this select may have closed this key's socket (a session ends both of its own):
            // the selector still hands the key over, and readyOps() of a cancelled key throws
            if (!key.isValid()) {
                return;
            }
            final NioRegistration registration = (NioRegistration) key.attachment();
            dispatch.ready(registration.handler(), key.readyOps(), registration);
        };
    }

    NioRegistration register(final SelectableChannel channel, final int ops, final IoHandler handler)
        throws ClosedChannelException {
        final NioRegistration registration = new NioRegistration(handler);
        registration.key(channel.register(selector, ops, registration));
        return registration;
    }

    @Override
    public void poll(final long timeoutMs) throws IOException {
        selector.select(onSelected, timeoutMs);
    }

    @Override
    public void pollNow() throws IOException {
        selector.selectNow(onSelected);
    }

    @Override
    public void wakeup() {
        selector.wakeup();
    }

    /**
     * A channel registered with a selector keeps its socket until the selector deregisters it at its next
     * select, so a listening socket "closed" by a command would still complete handshakes into its backlog
     * until then. A non-blocking select with no action deregisters it now; the readiness it skips is reported
     * again by the next select (epoll is level-triggered here).
     */
    @Override
    public void releaseClosed() throws IOException {
        try {
            selector.selectNow(ignored -> { });
        } catch (final ClosedSelectorException e) {
            throw new IOException("selector closed", e);
        }
    }

    @Override
    public void closeRegistered() {
        for (final SelectionKey key : selector.keys()) {
            try {
                key.channel().close();
            } catch (final IOException ignored) {
                // closing on the way out: nothing left to tell anyone
            }
        }
    }

    @Override
    public void close() throws IOException {
        selector.close();
    }
}
