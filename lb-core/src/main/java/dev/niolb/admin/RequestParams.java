package dev.niolb.admin;

import dev.niolb.config.Quoted;
import dev.niolb.json.JsonReader;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The parameters of an admin request, from its query string and its body: a form
 * ({@code application/x-www-form-urlencoded}, what {@code curl -d state=drain} sends) or a JSON object
 * ({@code Content-Type: application/json}, values strings, numbers or booleans). A body parameter overrides the
 * query's of the same name; one given twice in the query or in a form is refused, as a JSON key twice is. Input in an error message is {@link Quoted} (one line whatever was sent; found by
 * fuzzing).
 */
final class RequestParams {
    private RequestParams() {
    }

    /**
     * @throws IllegalArgumentException with a one-line message when the body is not what its type says
     */
    static Map<String, String> parse(final String query, final String contentType, final String body) {
        final Map<String, String> params = new LinkedHashMap<>();
        form(query, params);
        if (body == null || body.isBlank()) {
            return params;
        }
        final String type = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
        if (type.startsWith("application/json") || (type.isEmpty() && body.strip().startsWith("{"))) {
            for (final Map.Entry<String, Object> e : JsonReader.parseObject(body).entrySet()) {
                final Object v = e.getValue();
                if (v instanceof Map || v instanceof java.util.List) {
                    throw new IllegalArgumentException("parameter " + Quoted.of(ClientText.clip(e.getKey())) + " must be a string or a number");
                }
                params.put(e.getKey(), v == null ? null : text(v));
            }
        } else {
            form(body, params);
        }
        return params;
    }

    /** A JSON value as a parameter's text: a number of whole value as the integer it is (2.0 is 2, as in a config file). */
    private static String text(final Object v) {
        if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 0x1p53) {
            return Long.toString(d.longValue());
        }
        return v.toString();
    }

    private static void form(final String text, final Map<String, String> into) {
        if (text == null || text.isEmpty()) {
            return;
        }
        final java.util.Set<String> given = new java.util.HashSet<>();
        for (final String pair : text.strip().split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            final int eq = pair.indexOf('=');
            final String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            final String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            if (!given.add(name)) { // weight=3&weight=4 took the last one, silently: which did the caller mean?
                throw new IllegalArgumentException("parameter " + Quoted.of(ClientText.clip(name)) + " is given twice");
            }
            into.put(name, value);
        }
    }

    private static String decode(final String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("bad form encoding in " + Quoted.of(ClientText.clip(s)));
        }
    }
}
