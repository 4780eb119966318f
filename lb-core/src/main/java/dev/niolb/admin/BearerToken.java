package dev.niolb.admin;

import dev.niolb.config.TokenFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * The bearer token state-changing admin calls must carry ({@code Authorization: Bearer TOKEN}), from a file.
 * Compared in constant time ({@link MessageDigest#isEqual}), so a caller cannot learn it byte by byte from response
 * times.
 *
 * <p>A regular file is looked at again before each call is judged, and read again when it changed (its size, its
 * modification time or, for a file replaced by a rename or a Kubernetes secret's link, the file itself): an
 * operator who rotates a leaked token has it in force for the next call, and the CLI, which reads the same file,
 * sends the new one. Fails closed: while the file cannot give a token (removed, emptied), every change is refused
 * and says why. A pipe ({@code <(…)}) is read once, at start.
 *
 * <p>Threadsafe: calls come on the admin server's virtual threads; a change is read under the lock.
 */
final class BearerToken {
    private static final Logger LOG = LoggerFactory.getLogger(BearerToken.class);
    private static final String SCHEME = "bearer ";

    /** A token and what the file was like when it was read; or, with a null token, why the file gives none. */
    private record Read(byte[] token, long size, long modifiedNanos, Object fileKey, String unusable) {
        boolean sameFileAs(final BasicFileAttributes a) {
            return a.size() == size && a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS) == modifiedNanos
                && Objects.equals(a.fileKey(), fileKey);
        }
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
        final BasicFileAttributes before = Files.isRegularFile(file) ? attributes(file) : null;
        final byte[] token = TokenFile.read(file).getBytes(StandardCharsets.US_ASCII);
        if (before == null) {
            return new BearerToken(null, new Read(token, 0, 0, null, null));
        }
        return new BearerToken(file, read(token, before));
    }

    private static Read read(final byte[] token, final BasicFileAttributes a) {
        return new Read(token, a.size(), a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS),
            a.fileKey(), null);
    }

    private static BasicFileAttributes attributes(final Path file) throws IOException {
        return Files.readAttributes(file, BasicFileAttributes.class);
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

    /** The token as the file gives it now: the one read before while the file has not changed. */
    private synchronized Read fresh() {
        final Read was = current;
        BasicFileAttributes a;
        try {
            a = attributes(file);
        } catch (final IOException e) {
            a = null;
        }
        if (a != null && was.token() != null && was.sameFileAs(a)) {
            return was;
        }
        Read next;
        try {
            if (a != null && !a.isRegularFile()) { // a pipe now would hold the call until a writer came
                throw new TokenFile.Unusable("admin token file " + file + " is no longer a regular file", null);
            }
            final byte[] token = TokenFile.read(file).getBytes(StandardCharsets.US_ASCII);
            // the attributes from before the read: a write during it changes them again, and the next call reads again
            next = a == null ? new Read(token, -1, -1, null, null) : read(token, a);
            if (was.token() == null || !MessageDigest.isEqual(was.token(), token)) {
                LOG.info("admin token file {} changed: changes now need its new token", file);
            }
        } catch (final TokenFile.Unusable e) {
            next = new Read(null, -1, -1, null, e.getMessage());
            if (!e.getMessage().equals(was.unusable())) {
                LOG.warn("{}: no admin change is accepted until it gives a token again", e.getMessage());
            }
        }
        current = next;
        return next;
    }
}
