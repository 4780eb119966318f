package dev.niolb.bench.harness.report;

/**
 * One figure of a result table.
 *
 * @param key the metric's key in each row's values
 * @param header what the table shows above it (unit included)
 * @param decimals digits after the point
 * @param better which way is better; decides the best peer and so the ratio to it
 * @param ratioToDirect add a column with this figure divided by direct's
 * @param ratioToPeer add a column with this figure divided by the best peer's
 */
public record Column(String key, String header, int decimals, Better better, boolean ratioToDirect, boolean ratioToPeer) {

    /** Which way a figure is better. */
    public enum Better { HIGHER, LOWER }

    public static Column plain(final String key, final String header, final int decimals, final Better better) {
        return new Column(key, header, decimals, better, false, false);
    }

    public static Column ratios(final String key, final String header, final int decimals, final Better better) {
        return new Column(key, header, decimals, better, true, true);
    }

    public static Column peerRatio(final String key, final String header, final int decimals, final Better better) {
        return new Column(key, header, decimals, better, false, true);
    }
}
