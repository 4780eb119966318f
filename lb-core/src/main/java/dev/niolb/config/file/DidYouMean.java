package dev.niolb.config.file;

import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;

/** The known word closest to a misspelt one, if it is close enough to be what was meant. */
final class DidYouMean {
    private DidYouMean() {
    }

    /**
     * A candidate at most a third of the word's length of edits away (at least one, so {@code wieght} finds
     * {@code weight}), the closest first.
     */
    static Optional<String> closest(final String word, final Collection<String> candidates) {
        final int limit = Math.max(1, word.length() / 3);
        return candidates.stream()
            .filter(c -> distance(word, c) <= limit)
            .min(Comparator.comparingInt((String c) -> distance(word, c)).thenComparing(Comparator.naturalOrder()));
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
    static int distance(final String a, final String b) {
        final int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                final int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
