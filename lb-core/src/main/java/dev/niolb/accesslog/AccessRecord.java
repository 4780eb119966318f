package dev.niolb.accesslog;

import dev.niolb.config.Protocol;
import dev.niolb.session.Termination;

import java.net.InetSocketAddress;

/**
 * What the access log says about one closed TCP session or expired UDP flow: built on its loop at close, with
 * nothing but fields it already had (one object per session), and turned into text on the access log's thread.
 *
 * @param startEpochMs   wall-clock time the session was accepted (the flow's first datagram)
 * @param server         the server's name, the last one tried for a session that never connected; null for none
 * @param connectMicros  TCP connect time to the server, -1 when no connect succeeded (and always for UDP)
 * @param durationMicros from accept to close
 * @param bytesIn        client to server
 * @param bytesOut       server to client
 * @param retries        connect tries after the first (UDP: moves to another server)
 * @param reason         how it ended
 */
public record AccessRecord(long startEpochMs, Protocol protocol, InetSocketAddress client, String listener,
                           String group, String server, long connectMicros, long durationMicros, long bytesIn,
                           long bytesOut, int retries, Termination reason) {

    /** The termination as the log (and the metrics) write it: the {@link Termination} in lower case. */
    public String termination() {
        return TerminationNames.of(reason);
    }
}
