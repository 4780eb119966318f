package dev.niolb.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What {@code ss} says about this host's connected TCP sockets that hold bytes in a queue, and those of one port: where a
 * stalled transfer's bytes sit (a full receive queue nobody reads, a send queue nobody acknowledges), for a
 * failure message. Only sockets with bytes queued are listed, so thousands of idle ones do not bury them.
 */
public final class QueuedBytes {
    private static final int MAX_LINES = 40;

    private QueuedBytes() {
    }

    /** One line per socket with bytes queued or on {@code port}; what went wrong instead if {@code ss} did not answer. */
    public static String describe(final int port) {
        final List<String> lines = new ArrayList<>();
        try {
            final Process ss = new ProcessBuilder("ss", "-tnoimH", "state", "all").redirectErrorStream(true).start();
            final String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!ss.waitFor(5, TimeUnit.SECONDS)) {
                ss.destroyForcibly();
            }
            // each socket is a line of addresses and queues, then a line of details (indented)
            final String[] rows = out.split("\n");
            for (int i = 0; i < rows.length && lines.size() < MAX_LINES; i++) {
                final String row = rows[i];
                if (row.isBlank() || Character.isWhitespace(row.charAt(0))) {
                    continue;
                }
                final String[] f = row.trim().split("\\s+");
                final boolean queued = f.length > 2 && !"LISTEN".equals(f[0]) && (!"0".equals(f[1]) || !"0".equals(f[2]));
                if (queued || row.contains(":" + port + " ")) {
                    final String details = i + 1 < rows.length && !rows[i + 1].isBlank()
                        && Character.isWhitespace(rows[i + 1].charAt(0)) ? rows[i + 1].trim() : "";
                    // the stalled session's own sockets in full (skmem's d is the socket's drops), others in brief
                    final int keep = row.contains(":" + port + " ") ? details.length() : 200;
                    lines.add(String.join(" ", f) + " {" + details.substring(0, Math.min(details.length(), keep)) + "}");
                }
            }
        } catch (final IOException e) {
            return "no ss: " + e.getMessage();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
        return lines.isEmpty() ? "no socket holds queued bytes" : "queued: " + String.join(" | ", lines);
    }
}
