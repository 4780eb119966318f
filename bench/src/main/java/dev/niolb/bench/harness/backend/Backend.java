package dev.niolb.bench.harness.backend;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The harness's own servers, in this process: a TCP backend (echo, sink, source or duplex, picked by
 * the first byte of each connection; see {@link TcpBackendLoop}) on {@code threads} event loops sharing
 * one port, and a UDP echo. Threadsafe to start and close; the loops run on their own daemon threads.
 */
public final class Backend implements AutoCloseable {

    /** The byte that starts an echo connection. */
    public static final byte ECHO = TcpBackendLoop.ECHO;
    /** The byte that starts a sink connection (the backend reads and drops). */
    public static final byte SINK = TcpBackendLoop.SINK;
    /** The byte that starts a source connection (the backend writes bulk bytes). */
    public static final byte SOURCE = TcpBackendLoop.SOURCE;
    /** The byte that starts a duplex connection (sink and source at once). */
    public static final byte DUPLEX = TcpBackendLoop.DUPLEX;

    private final List<TcpBackendLoop> tcpLoops;
    private final UdpEchoLoop udpLoop;
    private final InetSocketAddress tcpAddress;
    private final InetSocketAddress udpAddress;

    private Backend(final List<TcpBackendLoop> tcpLoops, final UdpEchoLoop udpLoop) {
        this.tcpLoops = tcpLoops;
        this.udpLoop = udpLoop;
        this.tcpAddress = tcpLoops.getFirst().localAddress();
        this.udpAddress = udpLoop.localAddress();
    }

    /**
     * Binds and starts the servers.
     *
     * @param tcpPort 0 for an ephemeral port
     * @param udpPort 0 for the TCP port's number when UDP has it free (so that one {@code --server} of a proxy
     *                serves both protocols), else an ephemeral port
     * @param threads TCP event loops, each with its own {@code SO_REUSEPORT} listening socket
     */
    public static Backend start(final InetAddress host, final int tcpPort, final int udpPort, final int threads)
        throws IOException {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, was " + threads);
        }
        final List<TcpBackendLoop> loops = new ArrayList<>();
        final TcpBackendLoop first = new TcpBackendLoop(new InetSocketAddress(host, tcpPort));
        loops.add(first);
        for (int i = 1; i < threads; i++) {
            loops.add(new TcpBackendLoop(first.localAddress()));
        }
        final UdpEchoLoop udp = udpEcho(host, udpPort == 0 ? first.localAddress().getPort() : udpPort, udpPort == 0);
        final Backend backend = new Backend(List.copyOf(loops), udp);
        for (int i = 0; i < loops.size(); i++) {
            daemon("backend-tcp-" + i, loops.get(i)).start();
        }
        daemon("backend-udp", udp).start();
        return backend;
    }

    private static UdpEchoLoop udpEcho(final InetAddress host, final int port, final boolean orAnyPort)
        throws IOException {
        try {
            return new UdpEchoLoop(new InetSocketAddress(host, port));
        } catch (java.net.BindException e) {
            if (!orAnyPort) {
                throw e;
            }
            return new UdpEchoLoop(new InetSocketAddress(host, 0));
        }
    }

    private static Thread daemon(final String name, final Runnable task) {
        final Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        return thread;
    }

    public InetSocketAddress tcpAddress() {
        return tcpAddress;
    }

    public InetSocketAddress udpAddress() {
        return udpAddress;
    }

    @Override
    public void close() {
        tcpLoops.forEach(TcpBackendLoop::stop);
        udpLoop.stop();
    }
}
