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

    /**
     * A JSON document printed whole ({@code --json}): the same characters escaped as JSON escapes them ({@code
     * \u001b}, {@code \u202e}, a supplementary one as its surrogate pair), so that it stays JSON for {@code jq}
     * (black-box testing, session 32: {@code \x9b} was no JSON escape); line feeds and tabs stay.
     */
    static String safeJson(final String text) {
        final StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); ) {
            final int cp = text.codePointAt(i);
            final int n = Character.charCount(cp);
            final boolean acts = cp != '\n' && cp != '\t' && Quoted.actsOnTerminal(cp);
            for (int j = i; j < i + n; j++) {
                if (acts) {
                    out.append(String.format("\\u%04x", (int) text.charAt(j)));
                } else {
                    out.append(text.charAt(j));
                }
            }
            i += n;
        }
        return out.toString();
    }
}
