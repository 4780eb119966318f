package dev.niolb.admin;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.niolb.testing.OneLineErrors;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * {@link RequestParams#parse}, what reads an admin request's query string and body (a form or a JSON object) from
 * the network. The input is three parts split at its first two line breaks: the raw query, the Content-Type (a
 * request line and a header cannot hold a line break) and the body. For any input:
 * <ul>
 *   <li>the parameters, or an {@link IllegalArgumentException} whose message is one line, nothing else thrown;</li>
 *   <li>the body's parameters are all there, and the query's are there unless the body names them too;</li>
 *   <li>and the parameters of a query, written back as a form with {@link URLEncoder}, read back the same.</li>
 * </ul>
 */
class RequestParamsFuzzTest {
    @FuzzTest(maxDuration = "2s")
    void anyRequestGivesItsParametersOrOneLineOfErrorAndAFormReadsBackItsParameters(final byte[] input) {
        final String[] parts = OneLineErrors.text(input).split("\n", 3);
        final String query = parts[0].isEmpty() ? null : parts[0];
        final String type = parts.length > 1 ? parts[1] : null;
        final String body = parts.length > 2 ? parts[2] : null;

        final Map<String, String> all = OneLineErrors.parse(query + "\n" + type + "\n" + body,
            ignored -> RequestParams.parse(query, type, body));
        if (all == null) {
            return;
        }
        final Map<String, String> fromQuery = RequestParams.parse(query, null, null);
        final Map<String, String> fromBody = RequestParams.parse(null, type, body);
        final Map<String, String> expected = new HashMap<>(fromQuery);
        expected.putAll(fromBody);
        check(all.equals(expected), "query " + fromQuery + " and body " + fromBody + " gave " + all, input);

        final String form = formOf(fromQuery);
        final Map<String, String> again = RequestParams.parse(form, null, null);
        check(again.equals(fromQuery), fromQuery + " written as " + OneLineErrors.quoted(form) + " reads back as "
            + again, input);
    }

    private static String formOf(final Map<String, String> params) {
        final StringJoiner out = new StringJoiner("&");
        params.forEach((k, v) -> out.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "="
            + URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return out.toString();
    }

    private static void check(final boolean ok, final String what, final byte[] input) {
        if (!ok) {
            throw new AssertionError(what + " (input " + OneLineErrors.quoted(OneLineErrors.text(input)) + ")");
        }
    }
}
