package dev.niolb.transport;

import dev.niolb.loop.Poller;

/**
 * A way of doing socket I/O that the engine can run on: today JDK NIO; a Linux-native one plugs in beside it.
 * A transport opens each event loop's {@link Poller}; the sockets a loop's handlers own are the transport's too.
 *
 * <p>Threading: immutable, any thread.
 */
public interface Transport extends Poller.Factory {
    /** The name an operator writes ({@code --transport}, {@code transport:}) and the start line shows. */
    String name();
}
