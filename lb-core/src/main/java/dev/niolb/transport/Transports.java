package dev.niolb.transport;

import dev.niolb.config.TransportChoice;
import dev.niolb.transport.epoll.EpollTransport;
import dev.niolb.transport.nio.NioTransport;

import java.io.IOException;

/**
 * Any thread.
 *
 * The transport an operator's choice names.
 *
 * <p>Threading: any thread.
 */
public final class Transports {
    private Transports() {
    }

    /**
     * {@code auto} is epoll where it can run (Linux on x86-64 or arm64, native access granted), else NIO.
     *
     * @throws IOException when {@code epoll} is asked for where it cannot run, saying why
     */
    public static Transport of(final TransportChoice choice) throws IOException {
        return switch (choice) {
            case NIO -> NioTransport.INSTANCE;
            case EPOLL -> {
                if (!EpollTransport.isAvailable()) {
                    throw new IOException("the epoll transport cannot run here: " + EpollTransport.unavailableReason());
                }
                yield EpollTransport.instance();
            }
            case AUTO -> EpollTransport.isAvailable() ? EpollTransport.instance() : NioTransport.INSTANCE;
        };
    }

    /** What {@code auto} takes here: {@link TransportChoice#EPOLL} or {@link TransportChoice#NIO}. */
    public static TransportChoice autoChoice() {
        return EpollTransport.isAvailable() ? TransportChoice.EPOLL : TransportChoice.NIO;
    }
}
