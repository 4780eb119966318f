package dev.niolb.admin;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The admin API's answer to "do you hold the token?", which {@code niolb server}, {@code niolb reload} and the like
 * ask before they send it: {@code GET /api/proof?nonce=N} answers HMAC-SHA256 under the token of the nonce and of
 * the address the request came in on. Only a process that can read the token file can answer, so a process that
 * holds the admin address in niolb's stead (niolb not running, or running elsewhere) is never sent the token
 * (black-box testing, session 32: a local user who bound 127.0.0.1:9900 before niolb was sent the token by
 * {@code niolb server drain} and answered for niolb). The address is in it so that such a process cannot pass on
 * the question to a niolb listening elsewhere and relay its answer: niolb answers for the address it was
 * reached on, the client checks against the one it connected to.
 *
 * <p>Threadsafe: static functions.
 */
public final class AdminProof {
    /** The route. */
    public static final String PATH = "/api/proof";
    /** A nonce: 32 to 128 hexadecimal digits (16 to 64 random bytes). */
    private static final Pattern NONCE = Pattern.compile("[0-9a-f]{32,128}");
    private static final byte[] LABEL = "niolb admin proof\n".getBytes(StandardCharsets.US_ASCII);

    private AdminProof() {
    }

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    /** A fresh nonce for one question: 16 random bytes in hexadecimal, as {@link #wellFormed} takes it. */
    public static String nonce() {
        final byte[] random = new byte[16];
        RANDOM.nextBytes(random);
        return HexFormat.of().formatHex(random);
    }

    /** Whether {@code nonce} is one {@link #of} takes. */
    public static boolean wellFormed(final String nonce) {
        return nonce != null && NONCE.matcher(nonce).matches();
    }

    /**
     * The proof, in hexadecimal, for {@code nonce} asked at {@code at} (the admin API's address as the connection
     * came in on it: a wildcard bind's concrete address).
     */
    public static String of(final byte[] token, final String nonce, final InetSocketAddress at) {
        try {
            final Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(token, "HmacSHA256"));
            // each field after its length: a nonce's tail could not stand for an address's head (black-box
            // testing, session 32: a proof asked for N+"aaaaaaaaaaaa" at 127.0.0.1 held for N at an IPv6 address)
            final byte[] n = nonce.getBytes(StandardCharsets.US_ASCII);
            final byte[] address = at.getAddress().getAddress(); // the bytes: no scope id or spelling to disagree on
            mac.update(LABEL);
            mac.update((byte) n.length);
            mac.update(n);
            mac.update((byte) address.length);
            mac.update(address);
            mac.update(ByteBuffer.allocate(2).putShort((short) at.getPort()).array());
            return HexFormat.of().formatHex(mac.doFinal());
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this Java", e); // every Java SE has it
        }
    }

    /** Whether {@code answer} proves the token for {@code nonce} at {@code at}; in constant time. */
    public static boolean proves(final byte[] token, final String nonce, final InetSocketAddress at,
                                 final String answer) {
        return answer != null && MessageDigest.isEqual(of(token, nonce, at).getBytes(StandardCharsets.US_ASCII),
            answer.getBytes(StandardCharsets.US_ASCII));
    }
}
