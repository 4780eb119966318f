package dev.niolb.engine;

import dev.niolb.accesslog.AccessLog;
import dev.niolb.admission.ConnectionLimit;
import dev.niolb.backend.TargetGroup;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.listener.Listener;
import dev.niolb.loop.EventLoop;
import dev.niolb.tcp.TcpListener;
import dev.niolb.transport.Transport;
import dev.niolb.udp.UdpListener;

import java.io.IOException;

/**
 * Runs on the engine's control thread (start, reload).
 *
 * <p>Makes the listener a config names, TCP or UDP, bound on every loop and not yet registered: the one place
 * where the engine's start and a reload choose by protocol.
 */
public final class ListenerBinder {
    private ListenerBinder() {
    }

    /**
     * Binds {@code config}'s sockets for {@code group} on {@code loops}; a TCP listener counts its connections
     * under the process's {@code maxconn} too. Sessions are logged to {@code accessLog}. Its sockets, and those of
     * its sessions, are made by {@code transport}.
     *
     * @throws java.net.BindException when its address is in use or cannot be bound
     */
    public static Listener bind(final ListenerConfig config, final TargetGroup group, final EventLoop[] loops,
                                final ConnectionLimit maxconn, final AccessLog accessLog, final Transport transport)
        throws IOException {
        return bind(config, group, loops, maxconn, accessLog, transport, null);
    }

    /**
     * As {@link #bind(ListenerConfig, TargetGroup, EventLoop[], ConnectionLimit, AccessLog, Transport)}; the listener
     * counts on in the counters of {@code continued}, the listener of the same name and protocol it replaces (null:
     * new ones).
     */
    public static Listener bind(final ListenerConfig config, final TargetGroup group, final EventLoop[] loops,
                                final ConnectionLimit maxconn, final AccessLog accessLog, final Transport transport,
                                final Listener continued) throws IOException {
        final Listener listener = config.protocol() == Protocol.UDP
            ? UdpListener.bind(config, group, loops, transport, (UdpListener) continued)
            : TcpListener.bind(config, group, loops, maxconn, transport,
                continued == null ? null : ((TcpListener) continued).counters());
        listener.accessLog(accessLog);
        return listener;
    }
}
