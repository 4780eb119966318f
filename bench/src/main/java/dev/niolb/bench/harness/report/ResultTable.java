package dev.niolb.bench.harness.report;

import dev.niolb.bench.harness.target.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * A scenario's figures, one row per target, with each ratio column computed against the {@code direct}
 * row and against the best peer (the best of the {@link Target.Role#PEER} rows: HAProxy with and without splice,
 * nginx and external proxies, in that column, in the column's own direction: highest rate, lowest latency or
 * CPU). Renders as aligned text, Markdown and HTML.
 * Immutable.
 */
public record ResultTable(String id, String title, String settings, List<Column> columns, List<Row> rows) {

    public ResultTable {
        columns = List.copyOf(columns);
        rows = List.copyOf(rows);
    }

    /** The figure divided by direct's, NaN when either is missing or direct's is zero. */
    public double ratioToDirect(final Row row, final Column column) {
        return rows.stream().filter(r -> r.role() == Target.Role.DIRECT).findFirst()
            .map(direct -> ratio(row.value(column.key()), direct.value(column.key())))
            .orElse(Double.NaN);
    }

    /** The figure divided by the best peer's, NaN when there is no peer figure. */
    public double ratioToBestPeer(final Row row, final Column column) {
        final OptionalDouble best = bestPeer(column);
        return best.isPresent() ? ratio(row.value(column.key()), best.getAsDouble()) : Double.NaN;
    }

    /** The best peer value in a column, by the column's direction. */
    public OptionalDouble bestPeer(final Column column) {
        final var values = rows.stream().filter(r -> r.role() == Target.Role.PEER)
            .mapToDouble(r -> r.value(column.key())).filter(v -> !Double.isNaN(v));
        return column.better() == Column.Better.HIGHER ? values.max() : values.min();
    }

    private static double ratio(final double value, final double reference) {
        if (Double.isNaN(value) || Double.isNaN(reference) || reference == 0) {
            return Double.NaN;
        }
        return value / reference;
    }

    /** The header cells: target, then each column with its ratio columns after it, then the note. */
    public List<String> headers() {
        final List<String> headers = new ArrayList<>();
        headers.add("target");
        for (Column column : columns) {
            headers.add(column.header());
            if (column.ratioToDirect()) {
                headers.add("×direct");
            }
            if (column.ratioToPeer()) {
                headers.add("×best peer");
            }
        }
        headers.add("note");
        return headers;
    }

    /** The body cells, formatted, in the order of {@link #headers()}. */
    public List<List<String>> cells() {
        final List<List<String>> cells = new ArrayList<>();
        for (Row row : rows) {
            final List<String> line = new ArrayList<>();
            line.add(row.target());
            for (Column column : columns) {
                line.add(number(row.value(column.key()), column.decimals()));
                if (column.ratioToDirect()) {
                    line.add(ratio(ratioToDirect(row, column)));
                }
                if (column.ratioToPeer()) {
                    line.add(ratio(ratioToBestPeer(row, column)));
                }
            }
            line.add(row.note());
            cells.add(line);
        }
        return cells;
    }

    /** A number with thousands separators and fixed decimals; an em dash when missing. */
    public static String number(final double value, final int decimals) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return "—";
        }
        return String.format(Locale.ROOT, "%,." + decimals + "f", value);
    }

    /** A ratio as {@code 0.87×}; an em dash when missing. */
    public static String ratio(final double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return "—";
        }
        return String.format(Locale.ROOT, "%.2f×", value);
    }

    /** Aligned plain text: title, settings, header, rule, rows. */
    public String toText() {
        final List<String> headers = headers();
        final List<List<String>> cells = cells();
        final int[] widths = new int[headers.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = headers.get(i).length();
            for (List<String> line : cells) {
                widths[i] = Math.max(widths[i], line.get(i).length());
            }
        }
        final StringBuilder out = new StringBuilder();
        out.append("== ").append(title).append(" ==\n");
        if (!settings.isEmpty()) {
            out.append(settings).append('\n');
        }
        appendLine(out, headers, widths);
        final List<String> rule = new ArrayList<>();
        for (int width : widths) {
            rule.add("-".repeat(width));
        }
        appendLine(out, rule, widths);
        for (List<String> line : cells) {
            appendLine(out, line, widths);
        }
        return out.toString();
    }

    private static void appendLine(final StringBuilder out, final List<String> line, final int[] widths) {
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < line.size(); i++) {
            final String cell = line.get(i);
            final String pad = " ".repeat(widths[i] - cell.length());
            // target and note left-aligned, figures right-aligned
            text.append(i == 0 || i == line.size() - 1 ? cell + pad : pad + cell);
            if (i < line.size() - 1) {
                text.append("  ");
            }
        }
        out.append(text.toString().stripTrailing()).append('\n');
    }

    /** A GitHub Markdown table under a level-3 heading. */
    public String toMarkdown() {
        final StringBuilder out = new StringBuilder();
        out.append("### ").append(title).append("\n\n");
        if (!settings.isEmpty()) {
            out.append(settings).append("\n\n");
        }
        final List<String> headers = headers();
        out.append("| ").append(String.join(" | ", headers)).append(" |\n|");
        for (int i = 0; i < headers.size(); i++) {
            out.append(i == 0 || i == headers.size() - 1 ? " --- |" : " ---: |");
        }
        out.append('\n');
        for (List<String> line : cells()) {
            out.append("| ").append(String.join(" | ", line.stream().map(c -> c.replace("|", "\\|")).toList()))
                .append(" |\n");
        }
        return out.append('\n').toString();
    }

    /** An HTML table with a caption. */
    public String toHtml() {
        final StringBuilder out = new StringBuilder("<table>\n<caption>").append(Html.escape(title));
        if (!settings.isEmpty()) {
            out.append("<br><small>").append(Html.escape(settings)).append("</small>");
        }
        out.append("</caption>\n<tr>");
        for (String header : headers()) {
            out.append("<th>").append(Html.escape(header)).append("</th>");
        }
        out.append("</tr>\n");
        for (List<String> line : cells()) {
            out.append("<tr>");
            for (int i = 0; i < line.size(); i++) {
                out.append(i == 0 || i == line.size() - 1 ? "<td class=l>" : "<td>")
                    .append(Html.escape(line.get(i))).append("</td>");
            }
            out.append("</tr>\n");
        }
        return out.append("</table>\n").toString();
    }
}
