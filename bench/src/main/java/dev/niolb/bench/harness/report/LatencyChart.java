package dev.niolb.bench.harness.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * An inline SVG of latency by percentile, one line per target, drawn as HdrHistogram's plotter does:
 * the percentile axis is logarithmic in {@code 1 / (1 - p)}, so 90%, 99%, 99.9%, 99.99% are evenly
 * spaced and the tail gets as much room as the median. Latency (µs) is on a log axis too, so a proxy's
 * median and a garbage-collection pause fit on one chart. Stateless.
 */
public final class LatencyChart {

    private static final String[] COLOURS = {"#444444", "#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};
    private static final int WIDTH = 760;
    private static final int HEIGHT = 380;
    private static final int LEFT = 70;
    private static final int RIGHT = 150;
    private static final int TOP = 30;
    private static final int BOTTOM = 50;

    private LatencyChart() {
    }

    /**
     * @param histograms target name to latency histogram in nanoseconds, in legend order
     */
    public static String svg(final String title, final Map<String, Histogram> histograms) {
        final List<String> names = new ArrayList<>();
        final List<double[][]> curves = new ArrayList<>();
        double maxNines = 1;
        double lo = Double.MAX_VALUE;
        double hi = 0;
        for (Map.Entry<String, Histogram> entry : histograms.entrySet()) {
            final Histogram histogram = entry.getValue();
            if (histogram == null || histogram.getTotalCount() == 0) {
                continue;
            }
            final double[][] curve = curve(histogram);
            names.add(entry.getKey());
            curves.add(curve);
            maxNines = Math.max(maxNines, curve[curve.length - 1][0]);
            for (double[] point : curve) {
                lo = Math.min(lo, point[1]);
                hi = Math.max(hi, point[1]);
            }
        }
        final StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n",
            WIDTH, HEIGHT, WIDTH, HEIGHT));
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"14\" font-weight=\"bold\">%s</text>%n",
            LEFT, Html.escape(title)));
        if (curves.isEmpty()) {
            return svg.append("<text x=\"70\" y=\"60\">no latency recorded</text>\n</svg>\n").toString();
        }
        final double xMax = Math.ceil(maxNines);
        final double yLo = Math.pow(10, Math.floor(Math.log10(Math.max(lo, 0.1))));
        final double yHi = Math.pow(10, Math.ceil(Math.log10(Math.max(hi, yLo * 10))));
        final int plotW = WIDTH - LEFT - RIGHT;
        final int plotH = HEIGHT - TOP - BOTTOM;
        // axes and grid
        for (int nines = 0; nines <= xMax; nines++) {
            final double x = LEFT + plotW * nines / xMax;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>%n",
                x, TOP, x, TOP + plotH));
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                x, TOP + plotH + 16, percentileLabel(nines)));
        }
        for (double y = yLo; y <= yHi * 1.0001; y *= 10) {
            final double py = yPixel(y, yLo, yHi, plotH);
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n",
                LEFT, py, LEFT + plotW, py));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
                LEFT - 6, py + 4, ResultTable.number(y, y < 1 ? 1 : 0)));
        }
        svg.append(String.format(Locale.ROOT,
            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>%n", LEFT, TOP, plotW, plotH));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">percentile</text>%n",
            LEFT + plotW / 2, HEIGHT - 10));
        svg.append(String.format(Locale.ROOT,
            "<text x=\"16\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 16 %d)\">latency (µs, log)</text>%n",
            TOP + plotH / 2, TOP + plotH / 2));
        // curves and legend
        for (int i = 0; i < curves.size(); i++) {
            final String colour = COLOURS[i % COLOURS.length];
            final StringBuilder points = new StringBuilder();
            for (double[] point : curves.get(i)) {
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ",
                    LEFT + plotW * point[0] / xMax, yPixel(point[1], yLo, yHi, plotH)));
            }
            svg.append("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"").append(colour)
                .append("\" points=\"").append(points.toString().strip()).append("\"/>\n");
            final int ly = TOP + 10 + i * 18;
            svg.append(String.format(Locale.ROOT,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>%n",
                LEFT + plotW + 12, ly, LEFT + plotW + 32, ly, colour, LEFT + plotW + 38, ly + 4, Html.escape(names.get(i))));
        }
        return svg.append("</svg>\n").toString();
    }

    /** Points (nines, µs) from the median-free start (0 nines = 0th percentile) to the last recorded value. */
    static double[][] curve(final Histogram histogram) {
        final long count = histogram.getTotalCount();
        // beyond log10(count) nines there is at most one sample: stop there, and end on the max
        final double lastNines = Math.max(1, Math.log10(count));
        final List<double[]> points = new ArrayList<>();
        for (double nines = 0; nines < lastNines; nines += 0.05) {
            final double percentile = 100 * (1 - Math.pow(10, -nines));
            points.add(new double[] {nines, histogram.getValueAtPercentile(percentile) / 1000.0});
        }
        points.add(new double[] {lastNines, histogram.getMaxValue() / 1000.0});
        return points.toArray(double[][]::new);
    }

    private static double yPixel(final double micros, final double lo, final double hi, final int plotH) {
        final double v = Math.max(micros, lo);
        return TOP + plotH - plotH * (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo));
    }

    private static String percentileLabel(final int nines) {
        return switch (nines) {
            case 0 -> "0%";
            case 1 -> "90%";
            case 2 -> "99%";
            default -> "99." + "9".repeat(nines - 2) + "%";
        };
    }
}
