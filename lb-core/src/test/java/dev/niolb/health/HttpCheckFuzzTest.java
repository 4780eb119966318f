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
 *   <li>a verdict, nothing thrown; no verdict only while the status line is not over (no newline, no close, under
 *       {@link Probe#MAX_REPLY} bytes); its detail is one printable line, whatever the server sent;</li>
 *   <li>and it passes exactly when the first line is a status line as RFC 9112 section 4 writes it,
 *       {@code HTTP/D.D SP DDD} then a space and a reason or nothing (a CR may end the line), with a status in the
 *       check's range: the default 200-399, and 100-599.</li>
 * </ul>
 */
class HttpCheckFuzzTest {
    private static final HttpCheck DEFAULT = new HttpCheck(new CheckSpec.Http("/"));
    private static final HttpCheck ANY = new HttpCheck(new CheckSpec.Http("GET", "/", null, 100, 599));
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/[0-9]\\.[0-9] ([0-9]{3})(?: [^\\n]*)?\\r?");

    @FuzzTest(maxDuration = "2s")
    void anyBytesGiveAVerdictOfOnePrintableLineThatPassesOnlyAStatusLineInRange(final byte[] input) {
        final int length = Math.min(input.length, Probe.MAX_REPLY);
        final byte[] reply = Arrays.copyOf(input, Probe.MAX_REPLY);
        final int newline = indexOf(input, length, (byte) '\n');
        final boolean lineOver = newline >= 0 || length >= Probe.MAX_REPLY;
        final String line = new String(input, 0, newline < 0 ? length : newline, StandardCharsets.ISO_8859_1);
        final Matcher status = STATUS_LINE.matcher(line);
        final int code = status.matches() ? Integer.parseInt(status.group(1)) : -1;
        for (final HttpCheck check : new HttpCheck[]{DEFAULT, ANY}) {
            final CheckResult sofar = check.judge(reply, length, false);
            check(sofar != null || !lineOver, "no verdict on a whole line", input);
            check(sofar == null || lineOver, "a verdict before the line is over: " + sofar, input);
            final CheckResult whole = check.judge(reply, length, true);
            check(whole != null, "no verdict at the close", input);
            check(sofar == null || sofar.equals(whole), "the close changed the verdict " + sofar + " to " + whole,
                input);
            check(printable(whole.detail()), "detail not one printable line: " + whole.detail(), input);
            final int from = check == DEFAULT ? 200 : 100;
            final int to = check == DEFAULT ? 399 : 599;
            final boolean expected = code >= from && code <= to;
            check(whole.passed() == expected, (whole.passed() ? "passed " : "failed ") + whole.detail()
                + " on the line '" + Probe.printable(input, length) + "'", input);
        }
    }

    private static boolean printable(final String detail) {
        return detail != null && !detail.isEmpty() && detail.chars().allMatch(c -> c >= 0x20 && c < 0x7f);
    }

    private static int indexOf(final byte[] bytes, final int length, final byte b) {
        for (int i = 0; i < length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static void check(final boolean ok, final String what, final byte[] input) {
        if (!ok) {
            throw new AssertionError(what + " (input " + HexFormat.of().formatHex(input) + ")");
        }
    }
}
