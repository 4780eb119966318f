package dev.niolb.admin;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET /}: one self-contained HTML page (inline CSS and script, nothing fetched from elsewhere: admin
 * machines are often offline) that reads {@code /api/stats} every 2 s and shows listeners and groups as tables.
 */
final class StatsPage {
    private static final String HTML = load();

    private StatsPage() {
    }

    static String html() {
        return HTML;
    }

    private static String load() {
        try (InputStream in = StatsPage.class.getResourceAsStream("stats.html")) {
            if (in == null) {
                throw new IllegalStateException("stats.html is missing from the lb-core jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
