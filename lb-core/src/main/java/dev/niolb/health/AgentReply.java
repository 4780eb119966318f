package dev.niolb.health;

import dev.niolb.backend.Server;
import dev.niolb.backend.ServerState;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * What a server's agent said, HAProxy agent-check style: one line of words separated by spaces, tabs or
 * commas, such as {@code up 75%}, {@code drain}, {@code maint}, {@code down # disk full}. {@code up} and
 * {@code ready} put the server in service, {@code drain} and {@code maint} take it out, {@code down},
 * {@code fail}, {@code failed} and {@code stopped} mark it DOWN; {@code N%} scales its weight, above 100% too
 * (the server's weight times it is then capped at the largest weight, 256, as HAProxy caps it; a percentage past
 * {@link #MAX_PERCENT} reads as that). Anything after {@code #} is a comment; other words are ignored, as HAProxy
 * does (so {@code weight 50%} reads as {@code 50%}).
 *
 * @param mode    the state the agent asks for, or null when it named none
 * @param percent the weight percentage, or -1 when it gave none
 * @param text    the line as received, for logs: printable, other bytes as {@code \xHH}, at most 40 characters
 *                (an agent's tab or escape sequence must not reach a log line raw; found by fuzzing)
 * @param ignored a word that ends in {@code %} but is no weight ({@code -5%}, {@code 0.5%}), printable; null
 *                when none: warned of, since the agent meant a weight that was not applied
 */
record AgentReply(ServerState mode, int percent, String text, String ignored) {
    AgentReply(final ServerState mode, final int percent, final String text) {
        this(mode, percent, text, null);
    }

    /** The largest percentage read: a weight of 1 times it is the largest weight (HAProxy's cap, 25600%). */
    static final int MAX_PERCENT = Server.MAX_AGENT_PERCENT;

    /** Parses one line; returns null when it holds neither a state nor a weight. */
    static AgentReply parse(final String line) {
        final String text = line.strip();
        final int hash = text.indexOf('#');
        final String words = (hash < 0 ? text : text.substring(0, hash)).toLowerCase(Locale.ROOT);
        ServerState mode = null;
        int percent = -1;
        String ignored = null;
        // separated by what strip() takes away too (Character.isWhitespace, which \s is not: U+001C..U+001F), so
        // that a word reads the same at the end of the line and before a comment (found by fuzzing)
        for (final String word : words.split("[\\p{javaWhitespace},]+")) {
            switch (word) {
                case "up", "ready" -> mode = ServerState.UP;
                case "drain" -> mode = ServerState.DRAIN;
                case "maint" -> mode = ServerState.MAINT;
                case "down", "fail", "failed", "stopped" -> mode = ServerState.DOWN;
                default -> {
                    // digits and %: any number of them is a weight, capped (black-box testing, session 28:
                    // 100000% was capped, 99999999999999999999% not understood); -5%, 0.5% are no weights
                    if (word.length() > 1 && word.endsWith("%")
                        && word.chars().limit(word.length() - 1L).allMatch(c -> c >= '0' && c <= '9')) {
                        // leading zeros are no size: 00000050% is 50%, as HAProxy's atoi reads it
                        final String digits = word.substring(0, word.length() - 1).replaceFirst("^0+(?=.)", "");
                        percent = digits.length() > 7 ? MAX_PERCENT : Math.min(MAX_PERCENT, Integer.parseInt(digits));
                    } else if (word.endsWith("%") && ignored == null) {
                        final byte[] w = word.getBytes(StandardCharsets.ISO_8859_1);
                        ignored = Probe.printable(w, w.length);
                    }
                }
            }
        }
        if (mode == null && percent < 0) {
            return null;
        }
        final byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        return new AgentReply(mode, percent, Probe.printable(bytes, bytes.length), ignored);
    }
}
