package dev.niolb.config;

/**
 * What a listener, group or server name may hold: printable text without spaces (as HAProxy's names) or invisible
 * formatting characters (bidirectional overrides, zero-width spaces) of at most {@value #MAX_LENGTH} characters.
 *
 * <p>Why: names go into log lines, metrics labels, the stats page and access records. Metrics and the page
 * escape them, a log line does not: a server named {@code "a\nINFO ... fake line"} (from the file, a flag or
 * {@code POST /api/groups/g/servers}) forged log lines (issue 17). Refusing control characters where names are
 * made keeps every consumer safe at once.
 *
 * <p>Threadsafe: stateless.
 */
public final class Names {
    static final int MAX_LENGTH = 255;

    private Names() {
    }

    /**
     * {@code name} if it may be used; else an {@link IllegalArgumentException} naming {@code kind}.
     *
     * @param kind "server", "group" or "listener", for the message
     */
    public static String check(final String kind, final String name) {
        if (name.isEmpty()) {
            // an empty field in the plain access log and niolb stats, and no name to give the admin API
            throw new IllegalArgumentException(kind + " name '': must not be empty");
        }
        if (name.length() > MAX_LENGTH) {
            throw new IllegalArgumentException(kind + " name " + Quoted.of(name) + ": longer than " + MAX_LENGTH
                + " characters");
        }
        for (int i = 0; i < name.length(); i++) {
            final char c = name.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < name.length() && Character.isLowSurrogate(name.charAt(i + 1))) {
                i++; // a pair: one character outside the BMP
            } else if (Character.isSurrogate(c)) {
                // half a pair ("a\udcffb" in JSON): no UTF-8 text at all, shown as '?' and no name a path or a
                // command line can give back (black-box testing, session 29: added, then impossible to drain)
                throw new IllegalArgumentException(kind + " name " + Quoted.of(name)
                    + ": must be UTF-8 text (it holds half a UTF-16 surrogate pair)");
            }
        }
        if (kind.equals("group") && name.indexOf('/') >= 0) {
            // the plain access log writes group/server: "a/b/c/d" could not be split back (session 30)
            throw new IllegalArgumentException("group name " + Quoted.of(name)
                + ": must not hold '/' (the plain access log writes group/server)");
        }
        for (int i = 0; i < name.length(); i++) {
            final char c = name.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                throw new IllegalArgumentException(kind + " name " + Quoted.of(name)
                    + ": must not hold line breaks or other control characters");
            }
            if (c == '\uFFFD') {
                // what the JVM makes of bytes that are not UTF-8 in an argument (x\xffy): shown as a '?' box in
                // logs and stats, and no name an operator can type back (black-box testing, session 29)
                throw new IllegalArgumentException(kind + " name " + Quoted.of(name)
                    + ": must not hold U+FFFD, the replacement character (what a byte that is not UTF-8 becomes)");
            }
            final int cp = name.codePointAt(i);
            if (Character.getType(cp) == Character.FORMAT) {
                // U+202E reverses how the rest of a log or stats line displays; U+200B makes two names look one;
                // the tag characters (U+E0001...) hide text outside the BMP
                throw new IllegalArgumentException(kind + " name " + Quoted.of(name) + ": must not hold invisible "
                    + "formatting characters (U+" + String.format("%04X", cp) + ")");
            }
            if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
                throw new IllegalArgumentException(kind + " name " + Quoted.of(name)
                    + ": must not hold spaces (the plain access log and niolb stats separate their fields by them)");
            }
        }
        return name;
    }
}
