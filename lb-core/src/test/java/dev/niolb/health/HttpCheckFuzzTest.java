package dev.niolb.health;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.niolb.config.CheckSpec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code http} check's reading of a server's reply ({@link HttpCheck#judge}): bytes from the network. For any
 * bytes, as a reply so far or as the whole reply:
 * <ul>
 *   <li>a verdict, nothing thrown; no verdict only while the final status line, or an interim response's
 *       headers, are not over (no close, under {@link Probe#MAX_REPLY} bytes); its detail is one printable line,
 *       whatever the server sent;</li>
 *   <li>and it passes exactly when the first line is a status line as RFC 9112 section 4 writes it,
 *       {@code HTTP/D.D SP DDD} then a space and a reason or nothing (a CR may end the line), with a status in the
 *       check's range: the default 200-399, and 100-599; where that status is interim (1xx but 101), the same
 *       holds of the first line after the empty line that ends its headers, and so on.</li>
 * </ul>
 */
class HttpCheckFuzzTest {
    private static final HttpCheck DEFAULT = new HttpCheck(new CheckSpec.Http("/"));
    private static final HttpCheck ANY = new HttpCheck(new CheckSpec.Http("GET", "/", null, 100, 599));
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/[0-9]\\.[0-9] ([0-9]{3})(?: [^\\n]*)?\\r?");
    /** The newline that ends a header line, then an empty line: where an interim response's headers end. */
    private static final Pattern BLANK_LINE = Pattern.compile("\\n\\r?\\n");

    @FuzzTest(maxDuration = "2s")
    void anyBytesGiveAVerdictOfOnePrintableLineThatPassesOnlyAStatusLineInRange(final byte[] input) {
        final int length = Math.min(input.length, Probe.MAX_REPLY);
        final byte[] reply = Arrays.copyOf(input, Probe.MAX_REPLY);
        final String text = new String(input, 0, length, StandardCharsets.ISO_8859_1);
        for (final HttpCheck check : new HttpCheck[]{DEFAULT, ANY}) {
            final int from = check == DEFAULT ? 200 : 100;
            final int to = check == DEFAULT ? 399 : 599;
            final CheckResult sofar = check.judge(reply, length, false);
            final Boolean expectedSofar = expected(text, length >= Probe.MAX_REPLY, from, to);
            check(expectedSofar == null ? sofar == null : sofar != null && sofar.passed() == expectedSofar,
                "before the close: " + sofar + ", expected " + expectedSofar, input);
            final CheckResult whole = check.judge(reply, length, true);
            check(whole != null, "no verdict at the close", input);
            check(sofar == null || sofar.equals(whole), "the close changed the verdict " + sofar + " to " + whole,
                input);
            check(printable(whole.detail()), "detail not one printable line: " + whole.detail(), input);
            final boolean expected = expected(text, true, from, to);
            check(whole.passed() == expected, (whole.passed() ? "passed " : "failed ") + whole.detail()
                + " on '" + Probe.printable(input, length) + "'", input);
        }
    }

    /**
     * Whether {@code text} passes, read a line and a header block at a time with regular expressions; null when
     * more bytes are needed and can still come ({@code over} false: no close, buffer not full).
     */
    private static Boolean expected(final String text, final boolean over, final int from, final int to) {
        int start = 0;
        while (true) {
            final int newline = text.indexOf('\n', start);
            if (newline < 0 && !over) {
                return null;
            }
            final Matcher status = STATUS_LINE.matcher(text.substring(start, newline < 0 ? text.length() : newline));
            final int code = status.matches() ? Integer.parseInt(status.group(1)) : -1;
            if (code < 100 || code > 199 || code == 101) {
                return code >= from && code <= to;
            }
            final Matcher blank = BLANK_LINE.matcher(text);
            if (newline < 0 || !blank.find(newline)) {
                return over ? false : null;
            }
            start = blank.end();
        }
    }

    private static boolean printable(final String detail) {
        return detail != null && !detail.isEmpty() && detail.chars().allMatch(c -> c >= 0x20 && c < 0x7f);
    }

    private static void check(final boolean ok, final String what, final byte[] input) {
        if (!ok) {
            throw new AssertionError(what + " (input " + HexFormat.of().formatHex(input) + ")");
        }
    }
}
