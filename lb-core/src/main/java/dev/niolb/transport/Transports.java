package dev.niolb.transport;

import dev.niolb.config.TransportChoice;
import dev.niolb.transport.nio.NioTransport;

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

    public static Transport of(final TransportChoice choice) {
        return switch (choice) {
            case NIO -> NioTransport.INSTANCE;
        };
    }
}
