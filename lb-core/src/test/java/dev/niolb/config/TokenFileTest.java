package dev.niolb.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The admin token read from its file, or from systemd's credential of its name where niolb cannot read the file. */
class TokenFileTest {
    @TempDir
    Path dir;

    @Test
    void aFileNiolbCannotReadIsReadFromSystemdsCredentialOfItsName() throws Exception {
        final Path credentials = Files.createDirectory(dir.resolve("credentials"));
        Files.writeString(credentials.resolve("admin-token"), "from-systemd\n");
        final Path rootOnly = dir.resolve("etc").resolve("admin-token"); // what a dynamic user cannot open

        assertThat(TokenFile.read(rootOnly, false, () -> false, credentials.toString())).isEqualTo("from-systemd");
    }

    @Test
    void aFileNiolbCanReadWinsOverTheCredential() throws Exception {
        final Path credentials = Files.createDirectory(dir.resolve("credentials"));
        Files.writeString(credentials.resolve("admin-token"), "from-systemd\n");
        final Path file = Files.writeString(dir.resolve("admin-token"), "from-the-file\n");

        assertThat(TokenFile.read(file, false, () -> false, credentials.toString())).isEqualTo("from-the-file");
    }

    @Test
    void withoutACredentialOfItsNameTheFilesOwnErrorStands() throws Exception {
        final Path credentials = Files.createDirectory(dir.resolve("credentials"));
        Files.writeString(credentials.resolve("other-token"), "x\n");
        final Path missing = dir.resolve("admin-token");

        assertThatThrownBy(() -> TokenFile.read(missing, false, () -> false, credentials.toString()))
            .isInstanceOf(TokenFile.Unusable.class).hasMessage("cannot read admin token file " + missing + ": no such file");
        assertThatThrownBy(() -> TokenFile.read(missing, false, () -> false, null))
            .hasMessage("cannot read admin token file " + missing + ": no such file");
    }
}
