package dev.niolb.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.niolb.testing.OneLineErrors;

import java.time.Duration;

/** {@link Durations#parse}: any text is a duration or one line of error, and a duration reads back its own text. */
class DurationsFuzzTest {
    @FuzzTest(maxDuration = "2s")
    void anyTextIsADurationOrOneLineOfErrorAndADurationReadsBackItsOwnText(final byte[] input) {
        final Duration duration = OneLineErrors.parse(OneLineErrors.text(input), Durations::parse);
        if (duration != null) {
            if (duration.isNegative()) {
                throw new AssertionError("negative duration " + duration + " from " + OneLineErrors.quoted(OneLineErrors.text(input)));
            }
            final String text = Durations.format(duration);
            if (!Durations.parse(text).equals(duration)) {
                throw new AssertionError(duration + " formats as " + text + ", which reads back as " + Durations.parse(text));
            }
        }
    }
}
