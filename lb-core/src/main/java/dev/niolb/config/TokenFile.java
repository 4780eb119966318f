package dev.niolb.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Any thread (stateless).
 *
 * The admin bearer token as a file holds it, read and checked the same way by niolb, which demands it, and by its
 * CLI, which sends it: one word of printable ASCII, at most {@link #MAX_LENGTH} characters, with whitespace (a final
 * newline) around it removed.
 */
public final class TokenFile {
    /**
     * The longest token: one that fits in a request's headers with room to spare (the admin server reads at most
     * 16 KiB of request line and headers); a longer one could never be sent.
     */
    public static final int MAX_LENGTH = 4096;

    /**
     * The shortest token the admin API proves it holds ({@code GET /api/proof}, which the CLI asks before it sends
     * one): the proof lets whoever reaches the admin port test guesses offline, which a short token would not
     * survive (black-box testing, session 32: 'letmein' after 6 guesses). A shorter token still guards the API
     * against curl; the CLI refuses to send it, and niolb warns at start.
     */
    public static final int MIN_PROVEN_LENGTH = 16;

    /**
     * Whether niolb reads {@code file}'s token from systemd's credential of its name: the file is there and this
     * process may not read it, and the credential is (for the start line that says so).
     */
    public static boolean fromCredential(final Path file) {
        final String credentials = System.getenv(CREDENTIALS);
        final Path credential = credentialFor(file, System.getenv(CREDENTIALS));
        return credential != null && unreadable(file) && java.nio.file.Files.isReadable(credential);
    }

    /** What is said of a token shorter than {@link #MIN_PROVEN_LENGTH}, by niolb at start and by the CLI. */
    public static String tooShortToProve(final Path file, final int length) {
        return "the admin token in " + file + " is " + length + " characters: niolb proves it holds a token (for "
            + "niolb server and niolb reload) only when it has " + MIN_PROVEN_LENGTH + " or more, since a shorter "
            + "one could be guessed offline from the proof; make a longer one, e.g. openssl rand -hex 32";
    }

    /**
     * The file named cannot give a token: missing, unreadable, empty or not one word. What the config asks, which
     * no restart mends (niolb run exits 78 for it, as for a config file it cannot read).
     */
    public static final class Unusable extends IOException {
        private static final long serialVersionUID = 1L;

        public Unusable(final String message, final Throwable cause) {
            super(message, cause);
        }
    }

    private TokenFile() {
    }

    /**
     * The token in {@code file}.
     *
     * @throws Unusable one line naming the file, when it cannot be read or holds no token
     */
    public static String read(final Path file) throws Unusable {
        return read(file, true);
    }

    /**
     * As {@link #read(Path)}; a named pipe only with {@code pipeToo} (at start: read again, one would hold its
     * reader until a writer came).
     */
    public static String read(final Path file, final boolean pipeToo) throws Unusable {
        try {
            return read(file, pipeToo, () -> false);
        } catch (final java.io.InterruptedIOException e) {
            throw new Unusable("cannot read admin token file " + file + ": " + e.getMessage(), e); // not given up
        }
    }

    /**
     * As {@link #read(Path)}, a pipe given up as soon as {@code abandon} says so (a stop while niolb starts).
     *
     * @throws java.io.InterruptedIOException when it was given up
     * @throws Unusable                       as {@link #read(Path)}
     */
    public static String readAtStart(final Path file, final java.util.function.BooleanSupplier abandon)
        throws java.io.InterruptedIOException, Unusable {
        return read(file, true, abandon);
    }

    private static String read(final Path file, final boolean pipeToo, final java.util.function.BooleanSupplier abandon)
        throws java.io.InterruptedIOException, Unusable {
        return read(file, pipeToo, abandon, System.getenv(CREDENTIALS), TokenFile::unreadable);
    }

    /** systemd's credential of {@code file}'s name in the directory {@code credentials} (null: none), or null. */
    private static Path credentialFor(final Path file, final String credentials) {
        if (credentials == null || credentials.isEmpty() || file.getFileName() == null) {
            return null;
        }
        final Path credential = Path.of(credentials).resolve(file.getFileName().toString());
        return credential.equals(file) ? null : credential;
    }

    /** A file that is there and that this process may not read (root reads any). */
    private static boolean unreadable(final Path file) {
        return java.nio.file.Files.exists(file) && !java.nio.file.Files.isReadable(file);
    }

    /** The variable systemd sets to the directory of a unit's credentials ({@code LoadCredential=}). */
    static final String CREDENTIALS = "CREDENTIALS_DIRECTORY";

    /**
     * As above; a file niolb cannot read is read from systemd's credential of the same name in {@code credentials}
     * (null: none) where there is one. So the config names the root-only file as root's CLI and {@code niolb check}
     * read it, and the service, whose dynamic user cannot, reads systemd's copy of it (black-box testing, session
     * 32: a config naming the copy failed check and the CLI whenever the service was not running).
     */
    static String read(final Path file, final boolean pipeToo, final java.util.function.BooleanSupplier abandon,
                       final String credentials, final java.util.function.Predicate<Path> unreadable)
        throws java.io.InterruptedIOException, Unusable {
        final Path credential = credentialFor(file, credentials);
        // only a file that is there and that this process may not read: a removed or emptied one locks the API as
        // it does without systemd, rather than bring an older copy back into force (black-box testing, session 32)
        final boolean fromCredential = credential != null && unreadable.test(file);
        if (fromCredential && java.nio.file.Files.isReadable(credential)) {
            return read(credential, false, abandon, null, unreadable);
        }
        final String text;
        try {
            // room for the longest token and spaces or line breaks around it; a longer file is no token.
            // A pipe is fine (--admin-token-file <(…) keeps the secret off the disk): it is read once
            text = new String(OperatorFile.read(file, 2 * MAX_LENGTH, pipeToo, abandon), StandardCharsets.UTF_8)
                .strip();
        } catch (final java.io.InterruptedIOException e) {
            throw e;
        } catch (final IOException e) {
            throw new Unusable("cannot read admin token file " + file + ": " + e.getMessage() + (fromCredential
                ? ", and " + credentials + " holds no credential " + file.getFileName() + " (LoadCredential="
                    + file.getFileName() + ":" + file + ")" : ""), e);
        }
        if (text.isEmpty()) {
            throw new Unusable("admin token file " + file + " is empty", null);
        }
        if (text.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
            throw new Unusable("admin token file " + file + ": the token must be one word of printable ASCII", null);
        }
        if (text.length() > MAX_LENGTH) {
            throw new Unusable("admin token file " + file + ": the token is longer than " + MAX_LENGTH
                + " characters, more than a request's headers may carry", null);
        }
        return text;
    }
}
