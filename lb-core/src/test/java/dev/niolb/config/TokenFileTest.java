package dev.niolb.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The admin token read from its file, or from systemd's credential of its name where niolb may not read the file.
 * Root reads any file, so which file niolb "may not read" is told to the reader here.
 */
class TokenFileTest {
    @TempDir
    Path dir;

    private Path credentials() throws Exception {
        final Path credentials = Files.createDirectory(dir.resolve("credentials"));
        Files.writeString(credentials.resolve("admin-token"), "from-systemd\n");
        return credentials;
    }

    @Test
    void aFileNiolbMayNotReadIsReadFromSystemdsCredentialOfItsName() throws Exception {
        final Path credentials = credentials();
        final Path rootOnly = Files.writeString(dir.resolve("admin-token"), "the-file\n");

        assertThat(TokenFile.read(rootOnly, false, () -> false, credentials.toString(), f -> true))
            .isEqualTo("from-systemd");
    }

    @Test
    void aFileNiolbCanReadWinsOverTheCredential() throws Exception {
        final Path credentials = credentials();
        final Path file = Files.writeString(dir.resolve("admin-token"), "from-the-file\n");

        assertThat(TokenFile.read(file, false, () -> false, credentials.toString(), f -> false))
            .isEqualTo("from-the-file");
    }

    @Test
    void aRemovedFileLocksTheApiRatherThanBringTheCredentialBack() throws Exception {
        final Path credentials = credentials();
        final Path removed = dir.resolve("admin-token");

        assertThatThrownBy(() -> TokenFile.read(removed, false, () -> false, credentials.toString(),
            Files::exists)).isInstanceOf(TokenFile.Unusable.class)
            .hasMessage("cannot read admin token file " + removed + ": no such file");
    }

    @Test
    void aFileNiolbMayNotReadWithoutACredentialOfItsNameSaysWhichCredentialWasLookedFor() throws Exception {
        final Path credentials = Files.createDirectory(dir.resolve("credentials"));
        Files.writeString(credentials.resolve("other-token"), "x\n");
        final Path missingHere = dir.resolve("admin-token"); // the reader is told it is there and unreadable

        assertThatThrownBy(() -> TokenFile.read(missingHere, false, () -> false, credentials.toString(), f -> true))
            .isInstanceOf(TokenFile.Unusable.class)
            .hasMessageStartingWith("cannot read admin token file " + missingHere + ": ")
            .hasMessageEndingWith(", and " + credentials + " holds no credential admin-token (LoadCredential=admin-token:"
                + missingHere + ")");
    }
}
