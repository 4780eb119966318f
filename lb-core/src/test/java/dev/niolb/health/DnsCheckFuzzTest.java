package dev.niolb.health;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.niolb.config.CheckSpec;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HexFormat;

/**
 * The {@code dns} check's reading of a datagram that came back ({@link DnsCheck#judge}): bytes from the network.
 * The check asks for {@code example.test}; each input is judged as the reply to a query with the input's own id
 * (its first two bytes), so that the fuzzer reaches past the id, and to a query with another id. For any bytes:
 * <ul>
 *   <li>nothing thrown; a datagram under a header, with another id or without QR is ignored (no verdict), and any
 *       other gets one whose detail is one printable line;</li>
 *   <li>a verdict passes only for a reply dnsjava reads, whose question is {@code example.test A IN} (in any case)
 *       and whose RCODE is NOERROR or NXDOMAIN;</li>
 *   <li>and a proper reply to the query, with an RCODE, the name's case and answer records taken from the input,
 *       passes exactly when its RCODE is NOERROR or NXDOMAIN.</li>
 * </ul>
 */
class DnsCheckFuzzTest {
    private static final DnsCheck CHECK = new DnsCheck(new CheckSpec.Dns("example.test").labels());
    private static final Name ASKED = Name.fromConstantString("example.test.");

    @FuzzTest(maxDuration = "2s")
    @DictionaryFile(resourcePath = "dns-reply.dict")
    void anyDatagramIsIgnoredOrJudgedInOneLineAndPassesOnlyAsTheAnswerToTheQuestionAsked(final byte[] input) {
        final int id = input.length < 2 ? 0 : (input[0] & 0xff) << 8 | input[1] & 0xff;
        check(CHECK.judge(input, input.length, id ^ 1) == null, "judged a reply with another id", input);
        final CheckResult verdict = CHECK.judge(input, input.length, id);
        final boolean forUs = input.length >= DnsCheck.HEADER && (input[2] & 0x80) != 0;
        check((verdict != null) == forUs, (forUs ? "ignored" : "judged") + " a datagram " + verdict, input);
        if (verdict == null) {
            return;
        }
        check(printable(verdict.detail()), "detail not one printable line: " + verdict.detail(), input);
        if (verdict.passed()) {
            final Message reply;
            try {
                reply = new Message(input);
            } catch (final IOException e) {
                throw new AssertionError("passed a reply dnsjava cannot read: " + e.getMessage(), e);
            }
            final Record q = reply.getQuestion();
            check(q != null && q.getName().equals(ASKED) && q.getType() == Type.A && q.getDClass() == DClass.IN,
                "passed a reply to another question: " + q, input);
            check(reply.getRcode() == 0 || reply.getRcode() == 3, "passed RCODE " + reply.getRcode(), input);
        }
        properReplyPassesOnItsRcode(input, id);
    }

    /** Byte 2: the RCODE (low 4 bits); bytes 3..: the name's case, a bit a letter; then A records' addresses. */
    private static void properReplyPassesOnItsRcode(final byte[] input, final int id) {
        final int rcode = input[2] & 0xf;
        final StringBuilder name = new StringBuilder("example.test.");
        for (int i = 0, letter = 0; i < name.length(); i++) {
            if (Character.isLetter(name.charAt(i)) && bit(input, 24 + letter++)) {
                name.setCharAt(i, Character.toUpperCase(name.charAt(i)));
            }
        }
        final Message reply = new Message(id);
        reply.getHeader().setFlag(Flags.QR);
        reply.getHeader().setRcode(rcode);
        final Name replyName = Name.fromConstantString(name.toString());
        reply.addRecord(Record.newRecord(replyName, Type.A, DClass.IN), Section.QUESTION);
        for (int at = 5; at + 4 <= Math.min(input.length, 5 + 4 * 8); at += 4) {
            reply.addRecord(aRecord(replyName, input, at), Section.ANSWER);
        }
        final byte[] wire = reply.toWire();
        final CheckResult verdict = CHECK.judge(wire, wire.length, id);
        check(verdict != null && verdict.passed() == (rcode == 0 || rcode == 3),
            "a proper reply with RCODE " + rcode + " for " + name + ": " + verdict, input);
    }

    private static Record aRecord(final Name name, final byte[] input, final int at) {
        try {
            return new ARecord(name, DClass.IN, 60, InetAddress.getByAddress(
                new byte[]{input[at], input[at + 1], input[at + 2], input[at + 3]}));
        } catch (final UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static boolean bit(final byte[] input, final int n) {
        return n / 8 < input.length && (input[n / 8] >> (n % 8) & 1) != 0;
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
