package dev.niolb.accesslog;

import dev.niolb.session.Termination;

import java.util.Locale;

/** The names the access log and the metrics give each {@link Termination}: lower snake case, computed once. */
public final class TerminationNames {
    private static final String[] NAMES = new String[Termination.count()];

    static {
        for (final Termination t : Termination.values()) {
            NAMES[t.ordinal()] = t.name().toLowerCase(Locale.ROOT);
        }
    }

    private TerminationNames() {
    }

    /** {@code client_close}, {@code idle_timeout}, …: the name of {@code t}. */
    public static String of(final Termination t) {
        return NAMES[t.ordinal()];
    }
}
