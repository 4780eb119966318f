package dev.niolb.health;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The {@code dns:NAME} check's messages (RFC 1035 section 4.1): the query it sends, one question for NAME's A
 * record with recursion desired, and the verdict on a reply. {@link DnsExchange} does the socket work.
 *
 * <p>Threading: immutable; used on the health loop. The question is encoded once; each query only adds the
 * 12-byte header with its id.
 *
 * <p>The check asks whether the server answers, not what: NXDOMAIN passes (a server with no such name is still
 * serving), SERVFAIL and REFUSED fail (it cannot or will not serve), as dnsdist's health checks judge by default.
 */
final class DnsCheck {
    static final int HEADER = 12;
    static final int TYPE_A = 1;
    static final int CLASS_IN = 1;
    /** Header flags of the query: a standard query (opcode 0) with RD, recursion desired. */
    static final int FLAGS_RD = 0x0100;
    private static final int QR = 0x8000;
    private static final int NOERROR = 0;
    private static final int SERVFAIL = 2;
    private static final int NXDOMAIN = 3;
    private static final int REFUSED = 5;

    private final byte[] question;

    /** @param labels the name's labels, already checked ({@link dev.niolb.config.CheckSpec.Dns}) */
    DnsCheck(final String[] labels) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final String label : labels) {
            final byte[] b = label.getBytes(StandardCharsets.US_ASCII);
            out.write(b.length);
            out.writeBytes(b);
        }
        out.write(0); // the root
        out.write(TYPE_A >> 8);
        out.write(TYPE_A);
        out.write(CLASS_IN >> 8);
        out.write(CLASS_IN);
        this.question = out.toByteArray();
    }

    /** The query with id {@code id} (0..65535): header, then the question. */
    byte[] query(final int id) {
        final byte[] q = new byte[HEADER + question.length];
        q[0] = (byte) (id >> 8);
        q[1] = (byte) id;
        q[2] = (byte) (FLAGS_RD >> 8);
        q[3] = (byte) FLAGS_RD;
        q[5] = 1; // QDCOUNT 1; AN, NS and AR counts 0
        System.arraycopy(question, 0, q, HEADER, question.length);
        return q;
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
        final int replyId = (reply[0] & 0xff) << 8 | reply[1] & 0xff;
        final int flags = (reply[2] & 0xff) << 8 | reply[3] & 0xff;
        if (replyId != id || (flags & QR) == 0) {
            return null;
        }
        final int rcode = flags & 0xf;
        return switch (rcode) {
            case NOERROR -> CheckResult.passed("answered NOERROR");
            case NXDOMAIN -> CheckResult.passed("answered NXDOMAIN");
            case SERVFAIL -> CheckResult.failed("answered SERVFAIL");
            case REFUSED -> CheckResult.failed("answered REFUSED");
            default -> CheckResult.failed("answered RCODE " + rcode);
        };
    }
}
