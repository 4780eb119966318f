package dev.niolb.testing;

import dev.niolb.loop.EventLoop;
import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Registration;
import dev.niolb.transport.ListeningSocket;

import java.io.IOException;
import java.net.InetSocketAddress;

/** A real listening socket that a test can watch or break at one point: it overrides what it needs. */
public class ForwardingListeningSocket implements ListeningSocket {
    private final ListeningSocket real;

    public ForwardingListeningSocket(final ListeningSocket real) {
        this.real = real;
    }

    @Override
    public Accepted accept() throws IOException {
        return real.accept();
    }

    @Override
    public Registration register(final EventLoop loop, final int ops, final IoHandler handler) throws IOException {
        return real.register(loop, ops, handler);
    }

    @Override
    public InetSocketAddress localAddress() {
        return real.localAddress();
    }

    @Override
    public int descriptor() {
        return real.descriptor();
    }

    @Override
    public void close() {
        real.close();
    }
}
