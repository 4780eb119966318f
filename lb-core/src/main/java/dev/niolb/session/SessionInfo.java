package dev.niolb.session;

import java.net.InetSocketAddress;

/**
 * Immutable; made on a loop, read by any thread.
 *
 * One row of the live connection table, copied on the owning loop for a reader on another thread.
 *
 * @param server       the server's name, or {@code null} while no server is connected yet
 * @param startEpochMs wall-clock time the session was accepted
 * @param bytesIn      bytes from the client to the server
 * @param bytesOut     bytes from the server to the client
 */
public record SessionInfo(long id, String listener, InetSocketAddress client, String group, String server,
                          long startEpochMs,
                          long bytesIn, long bytesOut, String state) {
}
