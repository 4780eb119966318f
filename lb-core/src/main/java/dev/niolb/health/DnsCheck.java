package dev.niolb.health;

import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The {@code dns:NAME} check's messages, built and read by dnsjava's {@link Message} (RFC 1035 section 4.1): the
 * query it sends, one question for NAME's A record with recursion desired, and the verdict on a reply.
 * {@link DnsExchange} does the socket work.
 *
 * <p>Threading: immutable; used on the health loop.
 *
 * <p>A reply counts only if it is the answer to this query: its id and its question must both be the query's (as a
 * resolver checks, RFC 5452 section 9.1). A datagram with another id, or a query rather than a response, is not
 * for us and is ignored; one with our id that asks another question, or that does not parse, is a server answering
 * wrongly and fails the check.
 *
 * <p>The check asks whether the server answers, not what: NXDOMAIN passes (a server with no such name is still
 * serving), SERVFAIL and REFUSED fail (it cannot or will not serve), as dnsdist's health checks judge by default.
 */
final class DnsCheck {
    static final int HEADER = 12;

    private final Record question;

    /** @param labels the name's labels, already checked ({@link dev.niolb.config.CheckSpec.Dns}) */
    DnsCheck(final String[] labels) {
        try {
            this.question = Record.newRecord(Name.fromString(String.join(".", labels), Name.root), Type.A, DClass.IN);
        } catch (final TextParseException e) {
            throw new IllegalArgumentException("bad DNS name in a check: " + e.getMessage(), e);
        }
    }

    /** The query with id {@code id} (0..65535): a standard query with RD, one question. */
    byte[] query(final int id) {
        final Message query = Message.newQuery(question);
        query.getHeader().setID(id);
        return query.toWire();
    }

    /**
     * Judges a datagram that came back.
     *
     * @return the verdict, or null when it is not the reply to query {@code id} (too short, another id, not a
     *         response): the exchange ignores it and waits on, so a stray or late datagram cannot pass a check
     */
    CheckResult judge(final byte[] reply, final int length, final int id) {
        if (length < HEADER) {
            return null;
        }
        // the id and QR are read from the bytes, so that a stray datagram that does not parse is ignored too
        final int replyId = (reply[0] & 0xff) << 8 | reply[1] & 0xff;
        if (replyId != id || (reply[2] & 0x80) == 0) {
            return null;
        }
        final Message answer;
        try {
            answer = new Message(ByteBuffer.wrap(reply, 0, length));
        } catch (final IOException | RuntimeException e) {
            // dnsjava throws WireParseException, and for some bad records IllegalArgumentException
            return CheckResult.failed("malformed reply: "
                + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        }
        if (!answer.getHeader().getFlag(Flags.QR)) {
            return null;
        }
        final Record asked = answer.getQuestion();
        if (asked == null || !asked.getName().equals(question.getName()) || asked.getType() != question.getType()
            || asked.getDClass() != question.getDClass()) {
            return CheckResult.failed("the reply's question is not the one asked: "
                + (asked == null ? "none" : asked.getName() + " " + Type.string(asked.getType()) + " "
                    + DClass.string(asked.getDClass())));
        }
        final int rcode = answer.getRcode();
        return switch (rcode) {
            case Rcode.NOERROR, Rcode.NXDOMAIN -> CheckResult.passed("answered " + Rcode.string(rcode));
            default -> CheckResult.failed("answered " + Rcode.string(rcode));
        };
    }
}
