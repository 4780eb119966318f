package dev.niolb.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.niolb.testing.OneLineErrors;

/** {@link Sizes#parse}, the byte sizes of {@code --buffer-size} and the config file: a size or one line of error. */
class SizesFuzzTest {
    @FuzzTest(maxDuration = "2s")
    void anyTextIsASizeOrOneLineOfErrorAndASizeReadsBackItsOwnText(final byte[] input) {
        final Integer size = OneLineErrors.parse(OneLineErrors.text(input), Sizes::parse);
        if (size != null) {
            if (size < 0) {
                throw new AssertionError("negative size " + size + " from " + OneLineErrors.quoted(OneLineErrors.text(input)));
            }
            if (Sizes.parse(Sizes.format(size)) != size.intValue()) {
                throw new AssertionError(size + " formats as " + Sizes.format(size) + ", which reads back differently");
            }
        }
    }
}
