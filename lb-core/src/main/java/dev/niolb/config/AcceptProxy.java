package dev.niolb.config;

import dev.niolb.admission.CidrSet;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * Whether a listener reads a PROXY protocol header (v1 or v2; UDP: v2 on every datagram) from its peers, and
 * from which ones (HAProxy's {@code bind … accept-proxy}, narrowed to trusted sources as with
 * {@code tcp-request connection expect-proxy layer4 if { src … }}).
 *
 * <p>A trusted peer must send a valid header before anything else: the address it carries becomes the session's
 * client address (what {@code source} hashing, limits and logs see). A peer outside {@code trusted} is served as a
 * direct client, its own address the client address, and nothing it sends is read as a header: the protocol must
 * never be guessed, and an untrusted peer must not be able to claim another address.
 *
 * @param enabled         read headers at all
 * @param trusted         peers whose headers are read; null trusts every peer (HAProxy's plain {@code accept-proxy}),
 *                        an empty set trusts none: every peer is a direct client. Empty is what a templated
 *                        {@code accept-proxy-from: []} means to whoever wrote it, so it must not open the listener to
 *                        every peer's claims (nor reset every direct client)
 * @param headerTimeout   a TCP peer that has not sent its whole header within this time is closed
 * @param maxHeaderLength the longest header accepted, in bytes (a v1 line is at most 107 by the specification)
 */
public record AcceptProxy(boolean enabled, CidrSet trusted, Duration headerTimeout, int maxHeaderLength) {
    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(5);
    public static final int DEFAULT_MAX_HEADER_LENGTH = 4096;
    /** Room for a v1 line (107) and a v2 IPv6 header with a few TLVs. */
    public static final int MIN_MAX_HEADER_LENGTH = 128;
    /** The longest header v2 can express: 16 + 65,535. */
    public static final int MAX_MAX_HEADER_LENGTH = 16 + 0xFFFF;
    public static final AcceptProxy DISABLED =
        new AcceptProxy(false, null, DEFAULT_HEADER_TIMEOUT, DEFAULT_MAX_HEADER_LENGTH);

    public AcceptProxy {
        Objects.requireNonNull(headerTimeout, "headerTimeout");
        if (headerTimeout.isNegative() || headerTimeout.isZero()) {
            throw new IllegalArgumentException("proxy-header-timeout must be positive, got "
                + Durations.format(headerTimeout));
        }
        if (maxHeaderLength < MIN_MAX_HEADER_LENGTH || maxHeaderLength > MAX_MAX_HEADER_LENGTH) {
            throw new IllegalArgumentException("proxy-header-max must be " + MIN_MAX_HEADER_LENGTH + ".."
                + MAX_MAX_HEADER_LENGTH + " bytes, got " + maxHeaderLength);
        }
    }

    /** Every peer must send a header. */
    public static AcceptProxy fromAnyPeer() {
        return DISABLED.withEnabled(true);
    }

    /** Only peers in {@code trusted} must (and may) send a header; none when it is empty. */
    public static AcceptProxy from(final CidrSet trusted) {
        return new AcceptProxy(true, trusted, DEFAULT_HEADER_TIMEOUT, DEFAULT_MAX_HEADER_LENGTH);
    }

    /** Whether a header is read from {@code peer}. */
    public boolean expectsHeaderFrom(final InetAddress peer) {
        return enabled && (trusted == null || trusted.contains(peer));
    }

    /** Whether every peer is trusted (no list given), as opposed to those of a list, which may be empty. */
    public boolean trustsEveryPeer() {
        return trusted == null;
    }

    /** Whether headers are read at all but no peer is trusted to send one: every peer is a direct client. */
    public boolean trustsNoPeer() {
        return enabled && trusted != null && trusted.isEmpty();
    }

    public AcceptProxy withEnabled(final boolean b) {
        return new AcceptProxy(b, trusted, headerTimeout, maxHeaderLength);
    }

    /** {@code set} null: every peer. */
    public AcceptProxy withTrusted(final CidrSet set) {
        return new AcceptProxy(enabled, set, headerTimeout, maxHeaderLength);
    }

    public AcceptProxy withHeaderTimeout(final Duration d) {
        return new AcceptProxy(enabled, trusted, d, maxHeaderLength);
    }

    public AcceptProxy withMaxHeaderLength(final int n) {
        return new AcceptProxy(enabled, trusted, headerTimeout, n);
    }
}
