package dev.niolb.cli;

import dev.niolb.config.Quoted;

/**
 * What the client commands print of an admin API's answer, made safe for a terminal: control characters (an
 * escape sequence that clears the screen or retitles the window, a carriage return or a line feed that forges a
 * row of a table, C1 controls) and format characters (bidi overrides and marks, zero-width ones, line and
 * paragraph separators) come out escaped as niolb's own messages escape them ({@link Quoted#escaped}: {@code \x1b},
 * {@code \u202e}). niolb refuses such names, but the command cannot know it talks to niolb before it has read the
 * answer (black-box testing, session 32: a process listening at the admin address put escapes on the operator's
 * terminal).
 *
 * <p>Threadsafe: static functions.
 */
final class TerminalText {
    private TerminalText() {
    }

    /** {@code text} as one line, every character a terminal would act on, rather than show, escaped. */
    static String safe(final String text) {
        return Quoted.escaped(text);
    }

    /** As {@link #safe(String)}, line by line: for a document printed whole (JSON, one sample a line). */
    static String safeLines(final String text) {
        return String.join("\n", text.lines().map(Quoted::escaped).toList());
    }
}
