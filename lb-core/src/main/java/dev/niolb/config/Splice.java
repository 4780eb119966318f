package dev.niolb.config;

import java.util.Locale;

/**
 * When a TCP session's bytes move by {@code splice(2)} (socket to pipe to socket, never through user space) rather
 * than through a relay buffer ({@code --splice}, {@code splice:} on a listener). Only the epoll transport splices;
 * on NIO every value means buffers.
 */
public enum Splice {
    /**
     * Buffers first; a direction moves to splice once one read fills a whole relay buffer (bulk), as HAProxy's
     * {@code option splice-auto}: a small exchange costs fewer syscalls through one buffer than through a pipe.
     */
    AUTO,
    /** Splice from the first byte (a PROXY header or early bytes still go through a buffer). */
    ALWAYS,
    /** Buffers only. */
    NEVER;

    /**
     * A mode's name, any case.
     *
     * @throws IllegalArgumentException naming the bad value and the good ones
     */
    public static Splice parse(final String text) {
        if (text != null) {
            for (final Splice s : values()) {
                if (s.name().equalsIgnoreCase(text.strip())) {
                    return s;
                }
            }
        }
        throw new IllegalArgumentException("unknown splice mode " + Quoted.of(String.valueOf(text))
            + ": expected auto, always or never");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
