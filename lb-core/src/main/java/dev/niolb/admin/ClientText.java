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

    static String clip(final String value, final int max) {
        return Quoted.cut(value, max);
    }
}
