package dev.niolb.testing;

import dev.niolb.config.TcpOptions;
import dev.niolb.loop.EventLoop;
import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Registration;
import dev.niolb.transport.StreamSocket;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * A real stream socket that a test can watch or break at one point: every method, the defaults too, goes to the
 * real one (whose defaults may be its own), and a test overrides what it needs.
 */
public class ForwardingStreamSocket implements StreamSocket {
    private final StreamSocket real;

    public ForwardingStreamSocket(final StreamSocket real) {
        this.real = real;
    }

    @Override
    public void apply(final TcpOptions options) throws IOException {
        real.apply(options);
    }

    @Override
    public boolean connect(final InetSocketAddress remote) throws IOException {
        return real.connect(remote);
    }

    @Override
    public boolean connect(final InetSocketAddress remote, final boolean bytesFollow) throws IOException {
        return real.connect(remote, bytesFollow);
    }

    @Override
    public boolean connect(final InetSocketAddress remote, final ByteBuffer first) throws IOException {
        return real.connect(remote, first);
    }

    @Override
    public boolean firstBytesLikely() {
        return real.firstBytesLikely();
    }

    @Override
    public boolean finishConnect() throws IOException {
        return real.finishConnect();
    }

    @Override
    public int read(final ByteBuffer dst) throws IOException {
        return real.read(dst);
    }

    @Override
    public int write(final ByteBuffer src) throws IOException {
        return real.write(src);
    }

    @Override
    public void shutdownOutput() throws IOException {
        real.shutdownOutput();
    }

    @Override
    public int writeLast(final ByteBuffer src) throws IOException {
        return real.writeLast(src);
    }

    @Override
    public boolean endSeen() {
        return real.endSeen();
    }

    @Override
    public int unacknowledgedBytes() {
        return real.unacknowledgedBytes();
    }

    @Override
    public InetSocketAddress localAddress() throws IOException {
        return real.localAddress();
    }

    @Override
    public Registration register(final EventLoop loop, final int ops, final IoHandler handler) throws IOException {
        return real.register(loop, ops, handler);
    }

    @Override
    public void close(final boolean abort) {
        real.close(abort);
    }
}
