package dev.niolb.tcp;

import dev.niolb.admission.ConnectionLimit;
import dev.niolb.backend.TargetGroup;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.loop.EventLoop;
import dev.niolb.transport.Transport;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * One TCP listener on one running loop, on a transport the test gives (one that watches or breaks the real one):
 * the engine's pieces without a {@link dev.niolb.LoadBalancer}, which always takes the configured transport.
 */
final class ListenerOnOneLoop implements AutoCloseable {
    private final EventLoop loop;
    private final TcpListener listener;

    ListenerOnOneLoop(final Transport transport, final ListenerConfig config, final TargetGroupConfig group)
        throws IOException {
        loop = new EventLoop(0, transport);
        listener = TcpListener.bind(config, new TargetGroup(group, 1), new EventLoop[] {loop},
            ConnectionLimit.UNLIMITED, transport);
        listener.register();
        loop.start();
    }

    InetSocketAddress address() {
        return listener.localAddress();
    }

    TcpListener listener() {
        return listener;
    }

    @Override
    public void close() throws InterruptedException {
        listener.stopAccepting(5000);
        loop.stop();
        loop.awaitTermination(5000);
    }
}
