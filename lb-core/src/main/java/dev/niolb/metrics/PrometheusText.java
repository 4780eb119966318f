package dev.niolb.metrics;

import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Writes the Prometheus text exposition format, version 0.0.4: for each metric family a {@code # HELP} and a
 * {@code # TYPE} line, then its samples, one family's samples together.
 *
 * <p>Not threadsafe: one writer per scrape. The caller opens a family with {@link #family} and writes its
 * samples with {@link #sample}; a family is written once (a second {@code family} of the same name is refused, as
 * Prometheus refuses it). Label values and help text are escaped as the format says ({@code \\}, {@code \"},
 * newline); values are written as Go's {@code ParseFloat} reads them ({@code NaN}, {@code +Inf}).
 */
public final class PrometheusText {
    /** The {@code Content-Type} of this format. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    /** The metric types this writer uses. */
    public enum Type {
        COUNTER, GAUGE, HISTOGRAM;

        String text() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private static final int DRAIN_CHARS = 32 * 1024;
    private final StringBuilder out;
    private final java.io.Writer sink; // null: the text stays here (toString)
    private final Set<String> families = new HashSet<>();
    private String family;
    private Type type;

    public PrometheusText() {
        out = new StringBuilder(8192);
        sink = null;
    }


    /**
     * A writer that passes the text on to {@code sink} a few tens of KiB at a time, never holding the page: a
     * page of 10,000 servers is 45 MB of text. {@link #finish} passes on the rest.
     */
    public PrometheusText(final java.io.Writer sink) {
        out = new StringBuilder(DRAIN_CHARS + 4096);
        this.sink = sink;
    }

    /** Passes what is left on to the sink (a writer made with one). */
    public void finish() {
        drain(0);
    }

    private void drain(final int above) {
        if (sink != null && out.length() > above) {
            try {
                sink.append(out);
            } catch (final java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            out.setLength(0);
        }
    }

    /** Opens a family: its {@code HELP} and {@code TYPE} lines. */
    public PrometheusText family(final String name, final Type familyType, final String help) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("bad metric name '" + name + "'");
        }
        if (!families.add(name)) {
            throw new IllegalStateException("metric family '" + name + "' written twice");
        }
        family = name;
        type = familyType;
        out.append("# HELP ").append(name).append(' ');
        escape(help, false);
        out.append('\n');
        out.append("# TYPE ").append(name).append(' ').append(familyType.text()).append('\n');
        drain(DRAIN_CHARS);
        return this;
    }

    /**
     * One sample of the open family. {@code suffix} is "" or, for a histogram, {@code _bucket}, {@code _sum} or
     * {@code _count}; {@code labels} alternate names and values.
     */
    public PrometheusText sample(final String suffix, final double value, final String... labels) {
        if (family == null) {
            throw new IllegalStateException("a sample needs a family");
        }
        if (!suffix.isEmpty() && !(type == Type.HISTOGRAM
            && (suffix.equals("_bucket") || suffix.equals("_sum") || suffix.equals("_count")))) {
            throw new IllegalArgumentException("suffix '" + suffix + "' does not fit a " + type.text());
        }
        if (labels.length % 2 != 0) {
            throw new IllegalArgumentException("labels come in name/value pairs");
        }
        for (int i = 0; i < labels.length; i += 2) {
            if (!LABEL.matcher(labels[i]).matches()) {
                throw new IllegalArgumentException("bad label name '" + labels[i] + "'"); // before writing anything
            }
        }
        out.append(family).append(suffix);
        if (labels.length > 0) {
            out.append('{');
            for (int i = 0; i < labels.length; i += 2) {
                out.append(i == 0 ? "" : ",").append(labels[i]).append("=\"");
                escape(labels[i + 1] == null ? "" : labels[i + 1], true);
                out.append('"');
            }
            out.append('}');
        }
        out.append(' ');
        number(value);
        out.append('\n');
        drain(DRAIN_CHARS);
        return this;
    }

    /** A sample with no suffix. */
    public PrometheusText sample(final double value, final String... labels) {
        return sample("", value, labels);
    }

    /**
     * A histogram's samples from a {@link LatencySnapshot}, in seconds, all since start: one {@code _bucket} per
     * bound of its {@link LatencyBuckets} and {@code +Inf}, cumulative, then {@code _sum} and {@code _count}.
     */
    public PrometheusText histogram(final LatencySnapshot s, final String... labels) {
        if (type != Type.HISTOGRAM) {
            throw new IllegalStateException("histogram samples in a " + type.text() + " family");
        }
        final LatencySnapshot.Buckets b = s.buckets();
        final String[] withLe = java.util.Arrays.copyOf(labels, labels.length + 2);
        withLe[labels.length] = "le";
        for (int i = 0; i < b.bounds().size(); i++) {
            withLe[labels.length + 1] = b.bounds().label(i);
            sample("_bucket", b.cumulative()[i], withLe);
        }
        withLe[labels.length + 1] = "+Inf";
        // the +Inf bucket and _count are one number: both from the histogram, read at the same time
        final long all = b.cumulative()[b.bounds().size()];
        sample("_bucket", all, withLe);
        sample("_sum", s.sumSeconds(), labels);
        sample("_count", all, labels);
        return this;
    }

    /**
     * Appends families another writer wrote in this format (the Prometheus client's JVM and process families):
     * whole families, none of whose names this writer has written or will write.
     */
    public PrometheusText families(final String exposition) {
        for (final String line : exposition.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                final String name = line.substring(7, line.indexOf(' ', 7));
                if (!families.add(name)) {
                    throw new IllegalStateException("metric family '" + name + "' written twice");
                }
            }
        }
        family = null; // no sample of ours may follow theirs without a family of its own
        out.append(exposition);
        if (!exposition.isEmpty() && !exposition.endsWith("\n")) {
            out.append('\n');
        }
        drain(DRAIN_CHARS);
        return this;
    }

    @Override
    public String toString() {
        return out.toString();
    }

    private void number(final double v) {
        if (Double.isNaN(v)) {
            out.append("NaN");
        } else if (Double.isInfinite(v)) {
            out.append(v > 0 ? "+Inf" : "-Inf");
        } else if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            out.append((long) v);
        } else {
            out.append(v);
        }
    }

    private void escape(final String text, final boolean quote) {
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '"' -> out.append(quote ? "\\\"" : "\"");
                default -> out.append(c);
            }
        }
    }
}
