package dev.niolb.admin;

import dev.niolb.config.TokenFile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * The bearer token state-changing admin calls must carry ({@code Authorization: Bearer TOKEN}), read once from
 * a file. Compared in constant time ({@link MessageDigest#isEqual}), so a caller cannot learn it byte by byte
 * from response times.
 *
 * <p>Threadsafe (immutable).
 */
final class BearerToken {
    private static final String SCHEME = "bearer ";
    private final byte[] token;

    private BearerToken(final byte[] token) {
        this.token = token;
    }

    /**
     * The token in {@code file} ({@link TokenFile}).
     *
     * @throws IOException naming the file when it cannot be read or holds no token
     */
    static BearerToken read(final Path file) throws IOException {
        return new BearerToken(TokenFile.read(file).getBytes(StandardCharsets.US_ASCII));
    }

    /** Whether an {@code Authorization} header value carries this token. */
    boolean accepts(final String authorization) {
        if (authorization == null || authorization.length() <= SCHEME.length()
            || !authorization.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            return false;
        }
        final byte[] given = authorization.substring(SCHEME.length()).strip().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(token, given);
    }
}
