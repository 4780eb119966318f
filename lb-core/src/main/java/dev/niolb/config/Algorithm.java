package dev.niolb.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The balancing algorithms, by the names users write. */
public enum Algorithm {
    /** Each server in turn. */
    ROUNDROBIN("roundrobin"),
    /** Smooth weighted round robin (nginx's): weights 5,1,1 give a a b a c a a. */
    WEIGHTED("weighted"),
    /** Fewest active connections relative to weight; ties rotate. */
    LEASTCONN("leastconn"),
    /** Maglev consistent hashing of the client IP. */
    SOURCE("source"),
    /** Power of two random choices on active connections. */
    RANDOM("random"),
    /** Power of two random choices on an EWMA of connect time combined with active connections. */
    LEASTTIME("leasttime");

    private final String userName;

    Algorithm(final String userName) {
        this.userName = userName;
    }

    public String userName() {
        return userName;
    }

    /**
     * @throws IllegalArgumentException naming the valid choices
     */
    public static Algorithm parse(final String text) {
        final String s = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        for (final Algorithm a : values()) {
            if (a.userName.equals(s)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown balance algorithm " + Quoted.of(text) + " (expected one of "
            + Arrays.stream(values()).map(Algorithm::userName).collect(Collectors.joining(", ")) + ")");
    }

    @Override
    public String toString() {
        return userName;
    }
}
