package dev.niolb.admin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
     * The token in {@code file}, surrounding whitespace (a final newline) removed.
     *
     * @throws IOException naming the file when it cannot be read or holds no token
     */
    static BearerToken read(final Path file) throws IOException {
        final String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (final IOException e) {
            throw new IOException("cannot read admin token file " + file + ": " + describe(e), e);
        }
        if (text.isEmpty()) {
            throw new IOException("admin token file " + file + " is empty");
        }
        if (text.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
            throw new IOException("admin token file " + file + ": the token must be one word of printable ASCII");
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

    private static String describe(final IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
