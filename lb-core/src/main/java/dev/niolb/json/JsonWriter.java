package dev.niolb.json;

/**
 * Writes JSON text into a {@link StringBuilder}, in the order the caller writes it: the access log and the admin
 * API need fixed key orders and a handful of types, which a few lines do without reflection or a dependency.
 *
 * <p>Not threadsafe. The caller writes well-formed structure (names only inside objects); commas are placed
 * here. Numbers that are not finite (NaN, infinities) are written as {@code null}, which JSON can carry.
 */
public final class JsonWriter {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final StringBuilder out;
    private boolean needComma;

    public JsonWriter(final StringBuilder out) {
        this.out = out;
    }

    public JsonWriter() {
        this(new StringBuilder(256));
    }

    public JsonWriter beginObject() {
        comma();
        out.append('{');
        needComma = false;
        return this;
    }

    public JsonWriter endObject() {
        out.append('}');
        needComma = true;
        return this;
    }

    public JsonWriter beginArray() {
        comma();
        out.append('[');
        needComma = false;
        return this;
    }

    public JsonWriter endArray() {
        out.append(']');
        needComma = true;
        return this;
    }

    /** A key; the value written next belongs to it. */
    public JsonWriter name(final String name) {
        comma();
        quote(out, name);
        out.append(':');
        needComma = false;
        return this;
    }

    public JsonWriter value(final String value) {
        comma();
        if (value == null) {
            out.append("null");
        } else {
            quote(out, value);
        }
        needComma = true;
        return this;
    }

    public JsonWriter value(final long value) {
        comma();
        out.append(value);
        needComma = true;
        return this;
    }

    /** A number with up to three decimals (times in ms, seconds): enough, and stable to read. */
    public JsonWriter value(final double value) {
        comma();
        if (Double.isFinite(value)) {
            appendDecimal(out, value);
        } else {
            out.append("null");
        }
        needComma = true;
        return this;
    }

    public JsonWriter value(final boolean value) {
        comma();
        out.append(value);
        needComma = true;
        return this;
    }

    public JsonWriter nullValue() {
        comma();
        out.append("null");
        needComma = true;
        return this;
    }

    public JsonWriter field(final String name, final String value) {
        return name(name).value(value);
    }

    public JsonWriter field(final String name, final long value) {
        return name(name).value(value);
    }

    public JsonWriter field(final String name, final double value) {
        return name(name).value(value);
    }

    public JsonWriter field(final String name, final boolean value) {
        return name(name).value(value);
    }

    @Override
    public String toString() {
        return out.toString();
    }

    private void comma() {
        if (needComma) {
            out.append(',');
        }
    }

    /** Appends {@code value} as a JSON string: quotes, backslash and control characters escaped. */
    public static void quote(final StringBuilder out, final String value) {
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            final char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        // control characters must be escaped; U+2028/9 too, for readers that eval JSON as JavaScript
                        out.append("\\u").append(HEX[(c >> 12) & 0xF]).append(HEX[(c >> 8) & 0xF])
                            .append(HEX[(c >> 4) & 0xF]).append(HEX[c & 0xF]);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** A finite number with at most three decimals, trailing zeros dropped: 0.412, 5007, 12.5. */
    public static void appendDecimal(final StringBuilder out, final double value) {
        final long thousandths = Math.round(value * 1000);
        if (thousandths < 0) {
            out.append('-');
        }
        final long abs = Math.abs(thousandths);
        out.append(abs / 1000);
        long frac = abs % 1000;
        if (frac != 0) {
            out.append('.');
            if (frac < 100) {
                out.append('0');
            }
            if (frac < 10) {
                out.append('0');
            }
            while (frac % 10 == 0) {
                frac /= 10;
            }
            out.append(frac);
        }
    }
}
