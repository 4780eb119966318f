package dev.niolb.transport.nio;

import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Registration;

import java.nio.channels.SelectionKey;

/**
 * Used on its loop's thread.
 *
 * A selection key and its handler; the key's attachment, so the poller finds the handler in one read.
 *
 * <p>Threading: the owning loop's thread.
 */
final class NioRegistration implements Registration {
    private final IoHandler handler;
    private SelectionKey key;

    NioRegistration(final IoHandler handler) {
        this.handler = handler;
    }

    void key(final SelectionKey selectionKey) {
        this.key = selectionKey;
    }

    IoHandler handler() {
        return handler;
    }

    @Override
    public void interest(final int ops) {
        key.interestOps(ops);
    }

    @Override
    public void cancel() {
        key.cancel();
    }

    @Override
    public boolean isValid() {
        return key.isValid();
    }
}
