package dev.niolb.reload;

import java.util.List;

/**
 * What a reload did: the {@link ConfigDiff} it applied and what it could not apply live (a new thread count
 * takes a restart; so does a new listen backlog). A listener field that needs a restart is in {@code notApplied}
 * only, not also in the diff, so that the log says it once.
 *
 * <p>Threading: an immutable value.
 */
public record ReloadResult(ConfigDiff diff, List<String> notApplied) {
    public ReloadResult {
        notApplied = List.copyOf(notApplied);
    }

    /** This result with one more thing not applied. */
    public ReloadResult alsoNotApplied(final String line) {
        final java.util.List<String> more = new java.util.ArrayList<>(notApplied);
        more.add(line);
        return new ReloadResult(diff, more);
    }

    /** One line: the diff's summary, then what was not applied ({@code no change} when nothing differs). */
    public String summary() {
        return notApplied.isEmpty() ? diff.summary() : diff.summary() + "; not applied: " + String.join("; ", notApplied);
    }

    @Override
    public String toString() {
        return summary();
    }
}
