package dev.niolb.bench.harness.backend;

import java.io.IOException;
import java.net.InetAddress;

/**
 * Runs the {@link Backend} as its own process, so the backend's CPU and garbage collection stay apart
 * from the load generator's. Prints one line {@code READY tcp=PORT udp=PORT} when listening, then
 * serves until its standard input closes (the harness exiting, however it exits) or it is signalled.
 *
 * <pre>java -cp benchmarks.jar dev.niolb.bench.harness.backend.BackendMain [HOST [TCP_PORT [UDP_PORT [THREADS]]]]</pre>
 */
public final class BackendMain {

    private BackendMain() {
    }

    public static void main(final String[] args) throws IOException {
        final InetAddress host = InetAddress.getByName(args.length > 0 ? args[0] : "127.0.0.1");
        final int tcpPort = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        final int udpPort = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        final int threads = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        try (Backend backend = Backend.start(host, tcpPort, udpPort, threads)) {
            System.out.println("READY tcp=" + backend.tcpAddress().getPort() + " udp=" + backend.udpAddress().getPort());
            System.out.flush();
            while (System.in.read() >= 0) {
                // serve until the parent goes away
            }
        }
    }
}
