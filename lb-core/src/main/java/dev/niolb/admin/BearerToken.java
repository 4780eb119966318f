package dev.niolb.admin;

import dev.niolb.config.TokenFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * The bearer token state-changing admin calls must carry ({@code Authorization: Bearer TOKEN}), from a file.
 * Compared in constant time ({@link MessageDigest#isEqual}), so a caller cannot learn it byte by byte from response
 * times.
 *
 * <p>A regular file is read again before each call is judged: an operator who rotates a leaked token (rewritten,
 * replaced by a rename, a Kubernetes secret's link swapped) has it in force for the next call, and the CLI, which
 * reads the same file, sends the new one. Fails closed: while the file cannot give a token (removed, emptied, a
 * pipe now), every change is refused and the log says why. A pipe ({@code <(…)}) given at start is read once.
 *
 * <p>Threadsafe: calls come on the admin server's virtual threads; a change is read under the lock.
 */
public final class BearerToken {
    private static final Logger LOG = LoggerFactory.getLogger(BearerToken.class);
    private static final String SCHEME = "bearer ";

    /** A token; or, with a null token, why the file gives none. */
    private record Read(byte[] token, String unusable) {
    }

    private final Path file; // null: read once (a pipe)
    private volatile Read current;

    private BearerToken(final Path file, final Read current) {
        this.file = file;
        this.current = current;
    }

    /**
     * The token in {@code file} ({@link TokenFile}).
     *
     * @throws IOException naming the file when it cannot be read or holds no token
     */
    static BearerToken read(final Path file) throws IOException {
        return atStart(file, () -> false);
    }

    /**
     * As {@link #read}, at niolb's start, before its listeners bind: a pipe's writer may take a while (up to
     * {@code OperatorFile}'s wait), which is said, and a stop asked for meanwhile ({@code abandon}) gives it up.
     *
     * @throws java.io.InterruptedIOException when a stop gave it up
     * @throws TokenFile.Unusable             when the file cannot give a token
     */
    public static BearerToken atStart(final Path file, final java.util.function.BooleanSupplier abandon)
        throws IOException {
        final boolean regular = Files.isRegularFile(file);
        if (!regular && dev.niolb.config.OperatorFile.isPipe(file)) {
            LOG.info("admin token file {} is a pipe: reading it, for as long as its writer takes (at most 10 s)",
                file);
        }
        final byte[] token = TokenFile.readAtStart(file, abandon).getBytes(StandardCharsets.US_ASCII);
        if (TokenFile.fromCredential(file)) {
            LOG.info("admin token file {}: read from systemd's credential {} (niolb may not open the file itself)",
                file, file.getFileName());
        }
        if (token.length < TokenFile.MIN_PROVEN_LENGTH) {
            LOG.warn("{}", TokenFile.tooShortToProve(file, token.length));
        }
        return new BearerToken(regular ? file : null, new Read(token, null));
    }

    /**
     * Whether an {@code Authorization} header value carries the token.
     *
     * @throws Refused 503 while the token file gives no token
     */
    boolean accepts(final String authorization) {
        final Read now = file == null ? current : fresh();
        if (now.token() == null) {
            // said to any caller before it is judged: the file's path and the reason stay in niolb's log
            throw new Refused(503, "the admin token file gives no token now (niolb's log says why); no change is "
                + "accepted until it gives one again");
        }
        if (authorization == null || authorization.length() <= SCHEME.length()
            || !authorization.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            return false;
        }
        final byte[] given = authorization.substring(SCHEME.length()).strip().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(now.token(), given);
    }

    /**
     * {@link AdminProof} of the token for {@code nonce} asked at {@code at}.
     *
     * @throws Refused 503 while the token file gives no token
     */
    String proof(final String nonce, final java.net.InetSocketAddress at) {
        final Read now = file == null ? current : fresh();
        if (now.token() == null) {
            throw new Refused(503, "the admin token file gives no token now (niolb's log says why)");
        }
        if (now.token().length < TokenFile.MIN_PROVEN_LENGTH) {
            // not the token's length: an unauthenticated caller learns only that there is no proof (session 32)
            throw new Refused(409, "this niolb does not prove its admin token (niolb's log says why)");
        }
        return AdminProof.of(now.token(), nonce, at);
    }

    /**
     * The token as the file gives it now, read again at every call: a change a size, a modification time or the
     * file's identity would tell was missed by {@code cp -p} of a token of the same length, which left the old
     * token in force (black-box testing, session 27). A change is one small read, and changes are rare.
     */
    private synchronized Read fresh() {
        final Read was = current;
        Read next;
        try {
            final byte[] token = TokenFile.read(file, false).getBytes(StandardCharsets.US_ASCII);
            next = new Read(token, null);
            if (was.token() == null || !MessageDigest.isEqual(was.token(), token)) {
                LOG.info("admin token file {} changed: changes now need its new token{}", file,
                    TokenFile.fromCredential(file) ? " (from systemd's credential " + file.getFileName() + ")" : "");
                if (token.length < TokenFile.MIN_PROVEN_LENGTH) {
                    LOG.warn("{}", TokenFile.tooShortToProve(file, token.length));
                }
            }
        } catch (final TokenFile.Unusable e) {
            next = new Read(null, e.getMessage());
            if (!e.getMessage().equals(was.unusable())) {
                LOG.warn("{}: no admin change is accepted until it gives a token again", e.getMessage());
            }
        }
        current = next;
        return next;
    }
}
