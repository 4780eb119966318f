package dev.niolb.cli;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.niolb.testing.OneLineErrors;

/** {@link Sizes#parse}, the byte sizes of flags such as {@code --buffer-size}: a size or one line of error. */
class SizesFuzzTest {
    @FuzzTest(maxDuration = "3s")
    void anyTextIsASizeOrOneLineOfError(final byte[] input) {
        final Integer size = OneLineErrors.parse(OneLineErrors.text(input), Sizes::parse);
        if (size != null && size < 0) {
            throw new AssertionError("negative size " + size + " from " + OneLineErrors.quoted(OneLineErrors.text(input)));
        }
    }
}
