package dev.niolb.config.file;

import dev.niolb.config.Durations;
import dev.niolb.config.Numbers;
import dev.niolb.config.Sizes;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * One node of a config file with where it is: the file, its line, and its path from the document's root
 * ({@code groups[0].servers[2].weight}). The typed readers take a scalar's text whatever its YAML type, parse it
 * the way the matching flag is parsed, and turn every refusal into a {@link ConfigFileException} at this node.
 *
 * <p>Not threadsafe; a reader is used by one thread while a file is read.
 */
public final class YamlValue {
    private final String file;
    private final String path;
    private final Node node;
    private final KeyLog keyLog; // null unless a test asks which keys the reader accepts

    YamlValue(final String file, final String path, final Node node) {
        this(file, path, node, null);
    }

    YamlValue(final String file, final String path, final Node node, final KeyLog keyLog) {
        this.file = file;
        this.path = path;
        this.node = node;
        this.keyLog = keyLog;
    }

    /** Where this value is, e.g. {@code groups[0].servers[2].weight}; empty for the document itself. */
    public String path() {
        return path;
    }

    /** The line the value starts on, from 1. */
    public int line() {
        return node.getStartMark().map(m -> m.getLine() + 1).orElse(1);
    }

    String file() {
        return file;
    }

    /** Where the maps of this document report the keys they were asked for; null for none. */
    KeyLog keyLog() {
        return keyLog;
    }

    /** Nothing written after the key ({@code key:}, {@code key: null}, {@code key: ~}). */
    public boolean isNull() {
        // the JSON schema the file is read with takes only null for null; YAML's own ~ (plain, not quoted) is
        // nothing too, as this comment always said ('bad duration ~' was no help; black-box testing, session 29)
        return node instanceof ScalarNode s && (Tag.NULL.equals(s.getTag())
            || s.getScalarStyle() == ScalarStyle.PLAIN && "~".equals(s.getValue()));
    }

    public boolean isScalar() {
        return node instanceof ScalarNode && !isNull();
    }

    /** The text of a scalar, as written (a number or {@code true} too: the parsers decide what it means). */
    public String text() {
        if (isScalar()) {
            return ((ScalarNode) node).getValue();
        }
        throw error("expected a value, got " + kind());
    }

    /**
     * The text, except that a plain float of whole value ({@code 2.0}, {@code 1e3}) is written as that whole
     * number: YAML reads it as a float, and JSON Schema, as editors check the file against ours, takes a float of
     * whole value for an integer. Quoted, it stays text.
     */
    private String wholeNumberText() {
        final String t = text().strip();
        if (Tag.FLOAT.equals(node.getTag())) {
            try {
                // compared before anything is expanded: 1e999999999 must not become a billion-digit number
                final BigDecimal v = new BigDecimal(t);
                if (v.abs().compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) <= 0
                    && v.stripTrailingZeros().scale() <= 0) {
                    return Long.toString(v.longValueExact());
                }
            } catch (final NumberFormatException | ArithmeticException notANumber) {
                // .inf, .nan: refused by the parser, as written
            }
        }
        return t;
    }

    /**
     * A whole number within {@code min..max}. One too large for an int is out of that range, and said so: "must be
     * a whole number, got '2147483648'" was not true. A leading {@code +} is taken, as YAML 1.2 takes it.
     */
    public int intIn(final int min, final int max) {
        final long v = wholeNumber();
        if (v < min || v > max) {
            throw error(min == Integer.MIN_VALUE && max == Integer.MAX_VALUE // any int: the key's own range unknown here
                ? (v > max ? "must be at most " + max : "must be at least " + min) + ", got " + signless()
                : "must be " + min + ".." + max + ", got " + signless());
        }
        return (int) v;
    }

    /** The whole number written; digits past a long become the long nearest them (past any range). */
    private long wholeNumber() {
        final String t = signless();
        try {
            return Numbers.parseLong(t);
        } catch (final NumberFormatException e) {
            if (!t.matches("-?[0-9]+")) {
                throw error("must be a whole number, got '" + wholeNumberText() + "'");
            }
            return t.startsWith("-") ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    /** The whole number as written, without a leading {@code +} (YAML 1.2 takes one). */
    private String signless() {
        final String written = wholeNumberText();
        return written.startsWith("+") && !written.startsWith("+-") ? written.substring(1) : written;
    }

    /**
     * Runs {@code build} (a record's {@code with…} method) with this whole number, and reports its refusal here, as
     * {@link #check} does. A number past an int is offered to {@code build} as the nearest int, so that the record's
     * own range is what the operator reads ({@code must be 0..10000000, got 3000000000}), not an int's bounds: only
     * a key whose record takes any int is told "at most 2147483647" (black-box testing, session 32).
     */
    public <T> T checkInt(final IntFunction<T> build) {
        final long v = wholeNumber();
        if (v == (int) v) {
            return check(() -> build.apply((int) v));
        }
        final int nearest = v > 0 ? Integer.MAX_VALUE : Integer.MIN_VALUE;
        throw refusedPastInt(build, nearest, signless(), "");
    }

    /**
     * The refusal of a value past an int, written as {@code written}: {@code build}'s own, of {@code nearest} (the
     * int it was offered instead), with the value as written; or, where {@code build} takes any int, at most or
     * least that int ({@code unit}: what it counts, as " bytes").
     */
    private <T> ConfigFileException refusedPastInt(final IntFunction<T> build, final int nearest, final String written,
                                                   final String unit) {
        final String got = ", got " + nearest;
        try {
            build.apply(nearest);
        } catch (final IllegalArgumentException e) {
            final String message = String.valueOf(e.getMessage());
            return error(message.endsWith(got) ? message.substring(0, message.length() - got.length()) + ", got "
                + written : message);
        }
        return error((nearest > 0 ? "must be at most " : "must be at least ") + nearest + unit + ", got " + written);
    }

    /** {@code true} or {@code false} (YAML 1.2: not yes/no/on/off). */
    public boolean bool() {
        final String t = text().strip().toLowerCase(Locale.ROOT);
        return switch (t) {
            case "true" -> true;
            case "false" -> false;
            default -> throw error("must be true or false, got '" + text() + "'");
        };
    }

    /** {@code 250ms}, {@code 5s}, {@code 10m}, {@code 1h}, {@code 1d} or {@code 0}, as for the flags. */
    public Duration duration() {
        final String t = wholeNumberText();
        return check(() -> Durations.parse(t));
    }

    /** Bytes, or {@code 16k}, {@code 64k}, {@code 1m}, as for the flags. */
    public int size() {
        final String t = wholeNumberText();
        return check(() -> Sizes.parse(t));
    }

    /**
     * Runs {@code build} with this size, as {@link #checkInt} does with a whole number: one past an int is offered
     * as the largest int, so that the record's own range is what the operator reads, with the size as written
     * ("bad size '3000000000': too large" named no range, where the flag did: black-box testing, session 35).
     */
    public <T> T checkSize(final IntFunction<T> build) {
        final String t = wholeNumberText();
        if (!Sizes.pastInt(t)) {
            final int bytes = size();
            return check(() -> build.apply(bytes));
        }
        throw refusedPastInt(build, Integer.MAX_VALUE, t, " bytes");
    }

    /** The text through a parser of lb-core's model (e.g. {@code Endpoint::parse}); its refusal is reported here. */
    public <T> T as(final Function<String, T> parser) {
        final String t = text();
        return check(() -> parser.apply(t));
    }

    /**
     * Runs {@code build} (a record's constructor, a {@code with…} method) and reports the
     * {@link IllegalArgumentException} it throws at this value, so that the records stay the one validator.
     */
    public <T> T check(final Supplier<T> build) {
        try {
            return build.get();
        } catch (final IllegalArgumentException e) {
            throw error(e.getMessage());
        }
    }

    /**
     * This value as a map. Nothing at all ({@code key:}) is refused, as it is for any key: a section whose lines
     * are all commented out is more likely a mistake than a wish for the defaults ({@code {}} says that).
     */
    public YamlMap map() {
        if (node instanceof MappingNode m) {
            return new YamlMap(this, m);
        }
        throw error("expected a map (key: value lines), got " + kind()
            + (isNull() ? ": write {} for an empty one, or leave the key out" : ""));
    }

    /**
     * The elements of a list. Nothing at all ({@code key:}) is refused, as it is for any key: an {@code allow:}
     * whose entries were commented out admitted everyone (black-box testing, session 31); {@code []} is an empty
     * list.
     */
    public List<YamlValue> list() {
        if (isNull()) {
            throw error("expected a list (lines starting with '- '), got nothing: write [] for an empty one, or leave "
                + "the key out");
        }
        if (!(node instanceof SequenceNode seq)) {
            throw error("expected a list (lines starting with '- '), got " + kind());
        }
        final List<YamlValue> items = new ArrayList<>(seq.getValue().size());
        for (final Node item : seq.getValue()) {
            items.add(new YamlValue(file, path + "[" + items.size() + "]", item, keyLog));
        }
        return items;
    }

    /** A list, or a single value taken as a list of one ({@code checks: tcp}). */
    public List<YamlValue> listOrOne() {
        return isScalar() ? List.of(this) : list();
    }

    /** A value of this node's map, at {@code key}. */
    YamlValue child(final String key, final Node value) {
        return new YamlValue(file, path.isEmpty() ? key : path + "." + key, value, keyLog);
    }

    /** Another node at this value's path (a map's key node, for its line and text). */
    YamlValue sibling(final Node other) {
        return new YamlValue(file, path, other, keyLog);
    }

    /** A key of this map that is not written: nothing, at this map's line. */
    YamlValue absentChild(final String key) {
        return child(key, new ScalarNode(Tag.NULL, true, "", ScalarStyle.PLAIN, node.getStartMark(), node.getEndMark()));
    }

    /**
     * The error to throw for this value. A problem that starts with the value's own key ({@code retries must be
     * 0..32}, as the records say it) drops the key, since the path already names it.
     */
    public ConfigFileException error(final String problem) {
        return ConfigFileException.at(file, line(), path, withoutOwnKey(problem));
    }

    private String withoutOwnKey(final String problem) {
        final String key = path.substring(path.lastIndexOf('.') + 1);
        if (key.isEmpty() || key.endsWith("]")) {
            return problem;
        }
        for (final String spelling : new String[] {key + " ", key.replace('-', ' ') + " "}) {
            if (problem.startsWith(spelling) && problem.length() > spelling.length()) {
                return problem.substring(spelling.length());
            }
        }
        return problem;
    }

    private String kind() {
        return switch (node) {
            case MappingNode m -> "a map";
            case SequenceNode s -> "a list" + (path.endsWith("bind") || path.endsWith("address")
                ? " (write an IPv6 address in quotes: \"[::1]:80\")" : "");
            default -> isNull() ? "nothing" : "'" + ((ScalarNode) node).getValue() + "'";
        };
    }
}
