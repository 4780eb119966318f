package dev.niolb.admin;

import dev.niolb.config.OperatorFile;

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
    /**
     * The longest token: one that fits in a request's headers with room to spare (the admin server reads at most
     * 16 KiB of request line and headers, {@link AdminLimits}); a longer one could never be sent.
     */
    static final int MAX_LENGTH = 4096;
    private final byte[] token;

    private BearerToken(final byte[] token) {
        this.token = token;
    }

    /**
     * The token in {@code file}, surrounding whitespace (a final newline) removed.
     *
     * @throws IOException naming the file when it cannot be read or holds no token
     */
    static BearerToken read(final Path file) throws IOException {
        final String text;
        try {
            // room for the longest token and spaces or line breaks around it; a longer file is no token
            // read once, at start: a pipe is fine (--admin-token-file <(…) keeps the secret off the disk)
            text = new String(OperatorFile.read(file, 2 * MAX_LENGTH, true), StandardCharsets.UTF_8).strip();
        } catch (final IOException e) {
            throw new IOException("cannot read admin token file " + file + ": " + e.getMessage(), e);
        }
        if (text.isEmpty()) {
            throw new IOException("admin token file " + file + " is empty");
        }
        if (text.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
            throw new IOException("admin token file " + file + ": the token must be one word of printable ASCII");
        }
        if (text.length() > MAX_LENGTH) {
            throw new IOException("admin token file " + file + ": the token is longer than " + MAX_LENGTH
                + " characters, more than a request's headers may carry");
        }
        return new BearerToken(text.getBytes(StandardCharsets.US_ASCII));
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
