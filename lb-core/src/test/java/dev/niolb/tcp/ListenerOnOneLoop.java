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
        TcpListener bound = null;
        try {
            bound = TcpListener.bind(config, new TargetGroup(group, 1), new EventLoop[] {loop},
                ConnectionLimit.UNLIMITED, transport);
            bound.register();
        } catch (final IOException | RuntimeException e) {
            if (bound != null) {
                bound.closeUnstarted();
            }
            loop.stop(); // never started: releases its poller
            throw e;
        }
        listener = bound;
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
        try {
            listener.stopAccepting(5000);
        } finally {
            loop.stop();
            if (!loop.awaitTermination(10_000)) {
                throw new AssertionError("the loop did not stop within 10 s");
            }
        }
    }
}
