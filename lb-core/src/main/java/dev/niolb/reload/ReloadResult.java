package dev.niolb.reload;

import java.util.List;

/**
 * What a reload did: the {@link ConfigDiff} it applied, what it could not apply live (a new thread count
 * takes a restart; so does a new listen backlog) and what an operator had set at run time that the file's new
 * value replaced. A listener field that needs a restart is in {@code notApplied} only, not also in the diff, so
 * that the log says it once.
 *
 * <p>{@code replaced} is there because the diff compares two files: {@code s2 weight 1→3} says what the file
 * changed, while the weight in force was the 5 an operator set, which the 3 now replaces (black-box testing,
 * session 31: the summary alone read as if 1 had run).
 *
 * <p>Threading: an immutable value.
 */
public record ReloadResult(ConfigDiff diff, List<String> notApplied, List<String> replaced) {
    public ReloadResult {
        notApplied = List.copyOf(notApplied);
        replaced = List.copyOf(replaced);
    }

    /** This result with one more thing not applied. */
    public ReloadResult alsoNotApplied(final String line) {
        final java.util.List<String> more = new java.util.ArrayList<>(notApplied);
        more.add(line);
        return new ReloadResult(diff, more, replaced);
    }

    /**
     * One line: the diff's summary, what replaced an operator's setting, then what was not applied ({@code no
     * change} when nothing differs).
     */
    public String summary() {
        return diff.summary()
            + (replaced.isEmpty() ? "" : "; " + REPLACED + String.join("; ", replaced))
            + (notApplied.isEmpty() ? "" : "; not applied: " + String.join("; ", notApplied));
    }

    /** What the lines of {@link #replaced} follow, in the log and in {@link #summary}. */
    public static final String REPLACED = "replaced what was set at run time: ";

    /** A line of {@link #replaced}: {@code group web: s2 weight 5→3}. */
    public static String weightReplaced(final String group, final String server, final int was, final int now) {
        return "group " + group + ": " + server + " weight " + was + "→" + now;
    }

    @Override
    public String toString() {
        return summary();
    }
}
