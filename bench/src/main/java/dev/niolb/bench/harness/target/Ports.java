package dev.niolb.bench.harness.target;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Free loopback ports for the proxies the harness starts: bound to port 0, read, released. Another
 * process could take the port in between; on this machine that is rare, and the proxy then fails to
 * start with a clear message.
 */
public final class Ports {

    private Ports() {
    }

    public static InetSocketAddress freeTcp(final InetAddress host) {
        try (ServerSocket socket = new ServerSocket(0, 1, host)) {
            return new InetSocketAddress(host, socket.getLocalPort());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static InetSocketAddress freeUdp(final InetAddress host) {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(host, 0))) {
            return new InetSocketAddress(host, socket.getLocalPort());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
