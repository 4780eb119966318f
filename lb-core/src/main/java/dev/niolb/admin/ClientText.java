package dev.niolb.admin;

import dev.niolb.config.Quoted;

/**
 * What an admin error reply may echo of a client's input: a value cut at {@link #MAX_CHARS} characters with
 * "…", so that a 200 KB server name or path comes back as one short line, not whole.
 *
 * <p>Threadsafe: no state.
 */
final class ClientText {
    /** Characters of a client value an error message keeps. */
    static final int MAX_CHARS = 100;
    /** Characters of a whole error message: the net under messages built outside this package. */
    static final int MAX_MESSAGE_CHARS = 400;

    private ClientText() {
    }

    /** {@code value}, cut at {@link #MAX_CHARS} characters (never inside a surrogate pair) with "…". */
    static String clip(final String value) {
        return clip(value, MAX_CHARS);
    }

    /**
     * Escaped ({@link Quoted#escaped}: control characters, C1 ones too, and format characters such as bidi
     * overrides as {@code \x9b}, {@code \u202e}), then cut: what a client sent reaches niolb's log and its answers,
     * and raw C1 bytes in a path or an Origin acted on the terminal that showed the log (black-box testing, session
     * 32).
     */
    static String clip(final String value, final int max) {
        return value == null ? null : Quoted.cut(Quoted.escaped(value), max);
    }
}
