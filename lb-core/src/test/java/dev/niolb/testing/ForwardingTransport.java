package dev.niolb.testing;

import dev.niolb.config.Splice;
import dev.niolb.loop.BufferPool;
import dev.niolb.loop.Poller;
import dev.niolb.transport.DatagramSocket;
import dev.niolb.transport.ListeningSocket;
import dev.niolb.transport.StreamRelay;
import dev.niolb.transport.StreamSocket;
import dev.niolb.transport.Transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * A real transport that a test can watch or break at one point: everything goes to it, and a test overrides what
 * it needs ({@link #listening} to wrap each listening socket, {@link #stream} each socket to a server), usually
 * with a {@link ForwardingListeningSocket} or {@link ForwardingStreamSocket}.
 */
public class ForwardingTransport implements Transport {
    private final Transport real;

    public ForwardingTransport(final Transport real) {
        this.real = real;
    }

    /** What the engine gets for each listening socket the real transport made. */
    protected ListeningSocket listening(final ListeningSocket socket) {
        return socket;
    }

    /** What the engine gets for each socket to a server the real transport opened. */
    protected StreamSocket stream(final StreamSocket socket) {
        return socket;
    }

    @Override
    public String name() {
        return real.name();
    }

    @Override
    public Poller open(final Poller.Dispatch dispatch) throws IOException {
        return real.open(dispatch);
    }

    @Override
    public List<ListeningSocket> listen(final InetSocketAddress address, final int backlog, final int count)
        throws IOException {
        return real.listen(address, backlog, count).stream().map(this::listening).toList();
    }

    @Override
    public List<ListeningSocket> listen(final InetSocketAddress address, final int backlog, final int count,
                                        final boolean deferAccept) throws IOException {
        return real.listen(address, backlog, count, deferAccept).stream().map(this::listening).toList();
    }

    @Override
    public boolean splices() {
        return real.splices();
    }

    @Override
    public boolean sendsEmptyDatagrams() {
        return real.sendsEmptyDatagrams();
    }

    @Override
    public boolean answersFromDestination() {
        return real.answersFromDestination();
    }

    @Override
    public boolean defersAccept() {
        return real.defersAccept();
    }

    @Override
    public StreamRelay relay(final BufferPool pool, final Splice splice) {
        return real.relay(pool, splice);
    }

    @Override
    public StreamSocket openStream(final InetSocketAddress remote) throws IOException {
        return stream(real.openStream(remote));
    }

    @Override
    public List<DatagramSocket> bindDatagram(final InetSocketAddress address, final int count) throws IOException {
        return real.bindDatagram(address, count);
    }

    @Override
    public DatagramSocket openDatagram(final InetSocketAddress remote) throws IOException {
        return real.openDatagram(remote);
    }
}
