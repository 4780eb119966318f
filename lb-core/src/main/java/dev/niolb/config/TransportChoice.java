package dev.niolb.config;

import java.util.Locale;

/**
 * The transport an operator asks for ({@code --transport}, {@code transport:} in {@code defaults}): how the event
 * loops do their socket I/O. {@code auto}, the default, is epoll wherever it can run.
 */
public enum TransportChoice {
    /** epoll where it can run, else NIO. */
    AUTO,
    /** Linux's epoll and socket calls through the FFM API; refused at start where it cannot run. */
    EPOLL,
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
        throw new IllegalArgumentException("unknown transport " + Quoted.of(String.valueOf(text)) + ": expected auto, epoll or nio");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
