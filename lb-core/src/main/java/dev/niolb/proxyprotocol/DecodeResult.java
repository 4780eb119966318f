package dev.niolb.proxyprotocol;

import java.util.Objects;

/**
 * The outcome of one {@link ProxyHeaderDecoder#decode} call: more bytes are needed, a header was decoded (and
 * how many bytes it took), or the bytes are not a valid header and the connection must be dropped.
 *
 * <p>Immutable. {@link #NEED_MORE} and every {@link Malformed} are constants: only a decoded header allocates.
 */
public sealed interface DecodeResult permits DecodeResult.NeedMore, DecodeResult.Decoded, DecodeResult.Malformed {
    NeedMore NEED_MORE = new NeedMore();

    /** The bytes so far are the valid start of a header; call again when more have arrived. */
    record NeedMore() implements DecodeResult {
    }

    /**
     * A complete, valid header.
     *
     * @param length the header's length in bytes, from the buffer's position; what follows is the payload
     */
    record Decoded(ProxyHeader header, int length) implements DecodeResult {
        public Decoded {
            Objects.requireNonNull(header, "header");
            if (length < 1) {
                throw new IllegalArgumentException("length must be positive, got " + length);
            }
        }
    }

    /** Not a valid header, for {@code problem}. */
    record Malformed(Problem problem) implements DecodeResult {
        private static final Malformed[] BY_PROBLEM = new Malformed[Problem.values().length];

        static {
            for (final Problem p : Problem.values()) {
                BY_PROBLEM[p.ordinal()] = new Malformed(p);
            }
        }

        public Malformed {
            Objects.requireNonNull(problem, "problem");
        }

        /** The shared instance for {@code problem}. */
        public static Malformed of(final Problem problem) {
            return BY_PROBLEM[problem.ordinal()];
        }
    }

    /** Why bytes are not a valid PROXY protocol header. */
    enum Problem {
        /** Neither the v2 signature nor {@code "PROXY "}: the peer does not speak the protocol. */
        NOT_PROXY("not a PROXY protocol header", false),
        /** v2: the version nibble is not 2. */
        BAD_VERSION("unsupported version", false),
        /** v2: a command other than LOCAL or PROXY. */
        BAD_COMMAND("unknown command", false),
        /** v2: an address family other than UNSPEC, INET, INET6, UNIX. */
        BAD_FAMILY("unknown address family", false),
        /** v2: a transport other than UNSPEC, STREAM, DGRAM. */
        BAD_TRANSPORT("unknown transport protocol", false),
        /** v2: the length is shorter than the address block its family needs. */
        BAD_LENGTH("length shorter than the address block", false),
        /** v2: a TLV runs past the end of the header. */
        BAD_TLV("a TLV runs past the end of the header", false),
        /** v2: a CRC32C TLV that is not 4 bytes or does not match the header's checksum. */
        BAD_CHECKSUM("CRC32C checksum does not match", false),
        /** v1: not {@code PROXY TCP4|TCP6|UNKNOWN …} with single spaces, or a lone CR or LF. */
        BAD_LINE("malformed v1 line", false),
        /** v1: an address that is not the canonical text of its family. */
        BAD_ADDRESS("bad address", false),
        /** v1: a port that is not a decimal 0..65535 without leading zeros. */
        BAD_PORT("bad port", false),
        /** v1: an address of the other family than the line announced (TCP4 with an IPv6 address …). */
        FAMILY_MISMATCH("address of the wrong family", false),
        /** v1: no CRLF within the first 107 bytes. */
        V1_TOO_LONG("no CRLF within 107 bytes", true),
        /** v2: longer than the receiver's bound. */
        V2_TOO_LONG("longer than the header bound", true),
        /**
         * The input ended inside the header where no more can come: never from {@code decode} (which says
         * {@code NEED_MORE}), but what a reader of whole datagrams makes of that answer.
         */
        TRUNCATED("cut short", false),
        /**
         * A valid v1 line where only v2 is taken: never from {@code decode}, but what a reader of datagrams makes
         * of a v1 header (v1 names TCP only, and the specification gives UDP to v2).
         */
        V1_ON_DATAGRAM("v1 (text) header on a datagram: UDP takes v2 only", false);

        private final String description;
        private final boolean oversize;

        Problem(final String description, final boolean oversize) {
            this.description = description;
            this.oversize = oversize;
        }

        /** One line for logs. */
        public String description() {
            return description;
        }

        /** Whether the header was refused for its length rather than its content. */
        public boolean oversize() {
            return oversize;
        }
    }
}
