package dev.niolb.health;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The {@code agent} check's reading of what a server's agent sends ({@link AgentCheck#judge}, then
 * {@link AgentReply#parse}): bytes from the network. For any bytes, as a reply so far or as the whole reply:
 * <ul>
 *   <li>a verdict, nothing thrown; no verdict only while the line is not over (no newline, no close, under
 *       {@link Probe#MAX_REPLY} bytes); its detail is one printable line, whatever the agent sent;</li>
 *   <li>a reply that passes holds a state or a weight of 0..25600%, and the same state and weight read back from
 *       their own words ({@code drain 50%});</li>
 *   <li>and a comment ({@code # …}) after the line changes nothing.</li>
 * </ul>
 */
class AgentReplyFuzzTest {
    private static final AgentCheck CHECK = new AgentCheck();

    @FuzzTest(maxDuration = "2s")
    void anyBytesGiveAVerdictOfOnePrintableLineAndAReplyReadsBackFromItsOwnWords(final byte[] input) {
        final int length = Math.min(input.length, Probe.MAX_REPLY);
        final byte[] reply = Arrays.copyOf(input, Probe.MAX_REPLY);
        final CheckResult sofar = CHECK.judge(reply, length, false);
        final boolean lineOver = indexOf(input, length, (byte) '\n') >= 0 || length >= Probe.MAX_REPLY;
        check(sofar != null || !lineOver, "no verdict on a whole line", input);
        check(sofar == null || lineOver, "a verdict before the line is over: " + sofar, input);
        final CheckResult whole = CHECK.judge(reply, length, true);
        check(whole != null, "no verdict at the close", input);
        check(sofar == null || sofar.equals(whole), "the close changed the verdict " + sofar + " to " + whole, input);
        check(printable(whole.detail()), "detail not one printable line: " + whole.detail(), input);
        if (!whole.passed()) {
            check(whole.agent() == null, "failed with a reply " + whole.agent(), input);
            return;
        }
        final AgentReply said = whole.agent();
        check(said != null && (said.mode() != null || said.percent() >= 0), "passed with nothing said: " + said, input);
        check(said.percent() >= -1 && said.percent() <= AgentReply.MAX_PERCENT, "weight " + said.percent() + "%",
            input);
        final String words = (said.mode() == null ? "" : said.mode().name().toLowerCase(Locale.ROOT))
            + (said.percent() < 0 ? "" : " " + said.percent() + "%");
        final AgentReply again = AgentReply.parse(words);
        check(again != null && again.mode() == said.mode() && again.percent() == said.percent(),
            said + " reads back from '" + words + "' as " + again, input);

        final String line = new String(input, 0, lineEnd(input, length), StandardCharsets.ISO_8859_1);
        if (line.indexOf('#') < 0) {
            final AgentReply commented = AgentReply.parse(line + " # down 0% maint");
            check(commented != null && commented.mode() == said.mode() && commented.percent() == said.percent(),
                "a comment changed " + said + " to " + commented, input);
        }
    }

    private static boolean printable(final String detail) {
        return detail != null && !detail.isEmpty() && detail.chars().allMatch(c -> c >= 0x20 && c != 0x7f
            && !(c >= 0x80 && c < 0xa0) && c != 0x2028 && c != 0x2029);
    }

    private static int lineEnd(final byte[] input, final int length) {
        final int newline = indexOf(input, length, (byte) '\n');
        return newline < 0 ? length : newline;
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
