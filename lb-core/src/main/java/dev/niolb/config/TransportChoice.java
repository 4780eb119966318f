package dev.niolb.config;

import java.util.Locale;

/**
 * The transport an operator asks for ({@code --transport}, {@code transport:} in {@code defaults}): how the event
 * loops do their socket I/O. Only JDK NIO today; the Linux-native transport adds {@code epoll} and {@code auto}.
 */
public enum TransportChoice {
    /** JDK NIO: a selector per loop; portable. */
    NIO;

    /**
     * A transport's name, any case.
     *
     * @throws IllegalArgumentException naming the bad value and the good ones
     */
    public static TransportChoice parse(final String text) {
        if (text != null) {
            for (final TransportChoice t : values()) {
                if (t.name().equalsIgnoreCase(text.strip())) {
                    return t;
                }
            }
        }
        throw new IllegalArgumentException("unknown transport " + Quoted.of(String.valueOf(text)) + ": expected nio");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
