package dev.niolb.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.niolb.testing.OneLineErrors;

/** {@link CheckSpec#parse}, what follows {@code --check}: any text is a check or one line of error, and a check
 * reads back its own text. */
class CheckSpecFuzzTest {
    @FuzzTest(maxDuration = "2s")
    void anyTextIsACheckOrOneLineOfErrorAndACheckReadsBackItsOwnText(final byte[] input) {
        final CheckSpec check = OneLineErrors.parse(OneLineErrors.text(input), CheckSpec::parse);
        if (check != null && !CheckSpec.parse(check.toString()).equals(check)) {
            throw new AssertionError(check + " reads back as " + CheckSpec.parse(check.toString()));
        }
    }
}
