package dev.niolb.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.niolb.testing.OneLineErrors;

/**
 * {@link Endpoint#parse}: any text is an endpoint or one line of error, and an endpoint reads back its own text.
 * Host names resolve from the fuzz run's hosts file only (see lb-core's pom), so fuzzing sends no DNS query.
 */
class EndpointFuzzTest {
    @FuzzTest(maxDuration = "2s")
    void anyTextIsAnEndpointOrOneLineOfErrorAndAnEndpointReadsBackItsOwnText(final byte[] input) {
        final Endpoint endpoint = OneLineErrors.parse(OneLineErrors.text(input), Endpoint::parse);
        if (endpoint != null && !Endpoint.parse(endpoint.toString()).equals(endpoint)) {
            throw new AssertionError(endpoint + " reads back as " + Endpoint.parse(endpoint.toString()));
        }
    }
}
