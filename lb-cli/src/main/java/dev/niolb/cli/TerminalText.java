package dev.niolb.cli;

/**
 * What the client commands print of an admin API's answer, made safe for a terminal: control characters (an
 * escape sequence that clears the screen or retitles the window, a carriage return or a line feed that forges a
 * row of a table) and the bidirectional overrides that reorder what is shown come out as {@code ?}. niolb refuses
 * such names, but the command cannot know it talks to niolb before it has read the answer (black-box testing,
 * session 32: a process listening at the admin address put escapes on the operator's terminal).
 *
 * <p>Threadsafe: a static function.
 */
final class TerminalText {
    private TerminalText() {
    }

    /** {@code text} with every character a terminal would act on, rather than show, as {@code ?}. */
    static String safe(final String text) {
        return safe(text, false);
    }

    /** As {@link #safe(String)}, keeping line feeds and tabs: for a document printed whole (JSON). */
    static String safeLines(final String text) {
        return safe(text, true);
    }

    private static String safe(final String text, final boolean lines) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            final boolean acts = Character.isISOControl(c) && !(lines && (c == '\n' || c == '\t'))
                || c >= '\u202a' && c <= '\u202e' || c >= '\u2066' && c <= '\u2069';
            if (acts && out == null) {
                out = new StringBuilder(text.length()).append(text, 0, i);
            }
            if (out != null) {
                out.append(acts ? '?' : c);
            }
        }
        return out == null ? text : out.toString();
    }
}
