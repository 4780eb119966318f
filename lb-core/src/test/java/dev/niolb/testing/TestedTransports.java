package dev.niolb.testing;

import java.util.List;

/**
 * The transports every end-to-end suite runs on (Netty's {@code SocketTestPermutation}): a suite marked
 * {@link EveryTransport} runs once per entry. A new transport is one more entry here, and every suite holds it to
 * what NIO does the day it lands.
 */
public final class TestedTransports {
    private TestedTransports() {
    }

    /** Each transport the suites run on, in the order they run. */
    public static List<TestedTransport> all() {
        return List.of(TestedTransport.NIO, TestedTransport.EPOLL_SPLICE);
    }
}
