package dev.niolb.admin;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How an admin request's query and body become parameters, and the one-line errors fuzzing asked for. */
class RequestParamsTest {
    @Test
    void aBodyParameterOverridesTheQuerysOfTheSameName() {
        assertThat(RequestParams.parse("state=drain&server=s1", null, "state=ready"))
            .isEqualTo(Map.of("state", "ready", "server", "s1"));
        assertThat(RequestParams.parse("weight=1", "application/json", "{\"weight\": 50}"))
            .isEqualTo(Map.of("weight", "50"));
    }

    @Test
    void aBadFormEncodingIsOneLineWhateverTheRequestHolds() {
        assertThatThrownBy(() -> RequestParams.parse("x=%zz\u0000\u001b[2K", null, null))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("bad form encoding in '%zz\\x00\\x1b[2K'");
    }

    @Test
    void aJsonParameterThatIsNotAScalarIsNamedOnOneLine() {
        assertThatThrownBy(() -> RequestParams.parse(null, "application/json", "{\"a\\nb\": {}}"))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("parameter 'a\\nb' must be a string or a number");
    }

    @Test
    void aParameterGivenTwiceInTheQueryOrAFormIsRefused() {
        assertThatThrownBy(() -> RequestParams.parse(null, null, "weight=3&weight=4"))
            .isInstanceOf(IllegalArgumentException.class).hasMessage("parameter 'weight' is given twice");
        assertThatThrownBy(() -> RequestParams.parse("limit=1&limit=2", null, null))
            .isInstanceOf(IllegalArgumentException.class).hasMessage("parameter 'limit' is given twice");
    }

    @Test
    void aJsonNumberOfWholeValueIsThatInteger() {
        assertThat(RequestParams.parse(null, "application/json", "{\"weight\": 2.0, \"x\": 1e3, \"y\": 2.5}"))
            .isEqualTo(Map.of("weight", "2", "x", "1000", "y", "2.5"));
    }

    @Test
    void aJsonNumberADoubleCannotHoldIsRefusedAsSuchNotQuotedAsInfinityOrTakenForZero() {
        assertThatThrownBy(() -> RequestParams.parse(null, "application/json", "{\"weight\": 1e400}"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageEndingWith("number '1e400' is out of range");
        assertThatThrownBy(() -> RequestParams.parse(null, "application/json", "{\"weight\": 1e-400}"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageEndingWith("number '1e-400' is out of range");
        assertThat(RequestParams.parse(null, "application/json", "{\"weight\": 0e-400}")).containsEntry("weight", "0");
    }
}
