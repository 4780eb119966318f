package dev.niolb.json;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Parses JSON text (RFC 8259) into plain Java values: objects as {@link Map} (keys in document order), arrays as
 * {@link List}, strings, numbers as {@link Long} when integral and {@link Double} otherwise, booleans, and
 * {@code null}. For the admin API's request bodies and {@code niolb stats}: small documents, read whole.
 *
 * <p>Threadsafe (no state between calls). Bad input fails with an {@link IllegalArgumentException} whose one-line
 * message says what and where.
 */
public final class JsonReader {
    private static final int MAX_DEPTH = 64;
    /** A number as RFC 8259 section 6 writes it. */
    private static final Pattern NUMBER = Pattern.compile("-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?");

    private final String text;
    private int pos;

    private JsonReader(final String text) {
        this.text = text;
    }

    /** The value {@code text} holds; nothing but whitespace may follow it. */
    public static Object parse(final String text) {
        final JsonReader reader = new JsonReader(text);
        final Object value = reader.value(0);
        reader.skipSpace();
        if (reader.pos != text.length()) {
            throw reader.error("unexpected text after the value");
        }
        return value;
    }

    /** The object {@code text} holds, or a failure saying it is not one. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(final String text) {
        final Object value = parse(text);
        if (!(value instanceof Map)) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        return (Map<String, Object>) value;
    }

    private Object value(final int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nested deeper than " + MAX_DEPTH);
        }
        skipSpace();
        if (pos >= text.length()) {
            throw error("unexpected end");
        }
        final char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw error("unexpected character " + shown(c));
            }
        };
    }

    private Map<String, Object> object(final int depth) {
        pos++; // {
        final Map<String, Object> map = new LinkedHashMap<>();
        skipSpace();
        if (peek() == '}') {
            pos++;
            return map;
        }
        while (true) {
            skipSpace();
            if (peek() != '"') {
                throw error("expected a key in quotes");
            }
            final String key = string();
            if (map.containsKey(key)) { // which one counts would be a guess: {"state":"drain","state":"maint"}
                throw error("duplicate key " + quoted(key));
            }
            skipSpace();
            expect(':');
            map.put(key, value(depth + 1));
            skipSpace();
            final char c = next();
            if (c == '}') {
                return map;
            }
            if (c != ',') {
                throw error("expected ',' or '}'");
            }
        }
    }

    private List<Object> array(final int depth) {
        pos++; // [
        final List<Object> list = new ArrayList<>();
        skipSpace();
        if (peek() == ']') {
            pos++;
            return Collections.unmodifiableList(list);
        }
        while (true) {
            list.add(value(depth + 1));
            skipSpace();
            final char c = next();
            if (c == ']') {
                return Collections.unmodifiableList(list);
            }
            if (c != ',') {
                throw error("expected ',' or ']'");
            }
        }
    }

    private String string() {
        pos++; // "
        final StringBuilder out = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            final char c = text.charAt(pos++);
            if (c == '"') {
                return out.toString();
            }
            if (c < 0x20) {
                throw error("control character in a string");
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            final char e = next();
            switch (e) {
                case '"', '\\', '/' -> out.append(e);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    if (pos + 4 > text.length()) {
                        throw error("short \\u escape");
                    }
                    int code = 0;
                    for (int i = 0; i < 4; i++) {
                        // ASCII hex digits only: Integer.parseInt also took a sign and other scripts' digits
                        final int digit = hexDigit(text.charAt(pos + i));
                        if (digit < 0) {
                            throw error("bad \\u escape");
                        }
                        code = code << 4 | digit;
                    }
                    out.append((char) code);
                    pos += 4;
                }
                default -> throw error("bad escape \\ before " + shown(e));
            }
        }
    }

    private Object number() {
        final int start = pos;
        if (peek() == '-') {
            pos++;
        }
        boolean integral = true;
        while (pos < text.length()) {
            final char c = text.charAt(pos);
            if (c >= '0' && c <= '9') {
                pos++;
            } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
                integral = false;
                pos++;
            } else {
                break;
            }
        }
        final String n = text.substring(start, pos);
        if (!NUMBER.matcher(n).matches()) {
            // RFC 8259's grammar, which Long and Double parsing are looser than: 01, 1., -.5 (found by fuzzing)
            throw error("bad number '" + n + "'");
        }
        if (integral) {
            try {
                return Long.parseLong(n);
            } catch (final NumberFormatException beyondALong) {
                return inRange(n);
            }
        }
        return inRange(n);
    }

    /**
     * {@code n} as a double, refused when a double cannot hold it: past its range (1e400 read as Infinity) or so
     * small that it reads as 0 (1e-400 took a server's weight to 0; black-box testing, session 30).
     */
    private double inRange(final String n) {
        final double d = Double.parseDouble(n);
        final int exponent = Math.max(n.indexOf('e'), n.indexOf('E'));
        final String mantissa = exponent < 0 ? n : n.substring(0, exponent);
        if (Double.isInfinite(d) || d == 0 && mantissa.chars().anyMatch(c -> c >= '1' && c <= '9')) {
            throw error("number '" + n + "' is out of range");
        }
        return d;
    }

    private static int hexDigit(final char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private Object literal(final String word, final Object value) {
        if (!text.startsWith(word, pos)) {
            throw error("unexpected word");
        }
        pos += word.length();
        return value;
    }

    private void expect(final char c) {
        if (next() != c) {
            throw error("expected '" + c + "'");
        }
    }

    private char next() {
        if (pos >= text.length()) {
            throw error("unexpected end");
        }
        return text.charAt(pos++);
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void skipSpace() {
        while (pos < text.length()) {
            final char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    /**
     * {@code c} for a message: {@code 'c'} when printable, else its code point ({@code U+001B}), so that a message
     * stays one line whatever the text holds (found by fuzzing: an ESC or a line break was echoed raw).
     */
    private static String shown(final char c) {
        return printable(c) ? "'" + c + "'" : codePoint(c);
    }

    /** A key for an error line: quoted, at most 40 characters, any that {@link #shown} would not print as U+XXXX. */
    private static String quoted(final String key) {
        final StringBuilder s = new StringBuilder(key.length() + 2).append('"');
        for (int i = 0; i < Math.min(40, key.length()); i++) {
            final char c = key.charAt(i);
            s.append(printable(c) ? String.valueOf(c) : codePoint(c));
        }
        return s.append(key.length() > 40 ? "…\"" : "\"").toString();
    }

    private static String codePoint(final char c) {
        return String.format("U+%04X", (int) c);
    }

    private static boolean printable(final char c) {
        return c >= 0x20 && c != 0x7f && !(c >= 0x80 && c < 0xa0) && c != 0x2028 && c != 0x2029
            && !Character.isSurrogate(c);
    }

    private IllegalArgumentException error(final String what) {
        return new IllegalArgumentException("bad JSON at character " + (pos + 1) + ": " + what);
    }
}
