package dev.niolb.admin;

import dev.niolb.config.AdminConfig;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.TcpOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link AdminServer#preflight}: what starting the admin API beside a config's listeners would refuse, found
 * without binding, in the words the start gives ({@code niolb check}). Nothing here binds the literal ports: a
 * preflight binds nothing.
 */
class AdminPreflightTest {
    private static final InetSocketAddress LISTENER = new InetSocketAddress("127.0.0.1", 18080);
    private static final List<ListenerConfig> TCP = List.of(tcp("0.0.0.0", 18080));

    private static ListenerConfig tcp(final String host, final int port) {
        return new ListenerConfig("l1", Protocol.TCP, new InetSocketAddress(host, port), "g", TcpOptions.DEFAULTS);
    }

    private static AdminConfig adminOn(final InetSocketAddress address) {
        return AdminConfig.on(address);
    }

    @Test
    void aRequiredAdminAddressThatATcpListenerHoldsIsRefusedAsTheStartRefusesIt() {
        assertThatThrownBy(() -> AdminServer.preflight(adminOn(LISTENER), List.of(tcp("127.0.0.1", 18080))))
            .isInstanceOf(BindException.class)
            .hasMessage("cannot listen on admin address 127.0.0.1:18080: listener l1 binds 127.0.0.1:18080");
    }

    @Test
    void anAdminAddressOnTheSamePortAsAWildcardListenerOfItsFamilyIsRefused() {
        assertThatThrownBy(() -> AdminServer.preflight(adminOn(LISTENER), TCP))
            .hasMessage("cannot listen on admin address 127.0.0.1:18080: listener l1 binds 0.0.0.0:18080");
    }

    @Test
    void aMetricsAddressThatATcpListenerHoldsIsRefused() {
        final AdminConfig admin = AdminConfig.NONE.withMetricsAddress(LISTENER);
        assertThatThrownBy(() -> AdminServer.preflight(admin, TCP)).isInstanceOf(BindException.class)
            .hasMessage("cannot listen on metrics address 127.0.0.1:18080: listener l1 binds 0.0.0.0:18080");
    }

    @Test
    void theDefaultAdminAddressThatAListenerHoldsIsNoRefusalSinceTheStartGoesOnWithoutTheApi() {
        final AdminConfig admin = AdminConfig.DEFAULT;
        assertThatCode(() -> AdminServer.preflight(admin, List.of(tcp(admin.address().getHostString(),
            admin.address().getPort())))).doesNotThrowAnyException();
    }

    @Test
    void aUdpListenerOnTheAdminPortOrATcpOneOnAnotherAddressIsNoClash() {
        final List<ListenerConfig> apart = List.of(
            new ListenerConfig("u", Protocol.UDP, LISTENER, "g", TcpOptions.DEFAULTS), tcp("127.0.0.2", 18080));
        assertThatCode(() -> AdminServer.preflight(adminOn(LISTENER), apart)).doesNotThrowAnyException();
    }

    @Test
    void anAddressInUseByAnotherProcessIsNoRefusalSinceThePreflightBindsNothing() throws IOException {
        // niolb check runs while the niolb it checks for holds its admin address
        try (ServerSocket taken = new ServerSocket(0, 1, LISTENER.getAddress())) {
            final InetSocketAddress held = (InetSocketAddress) taken.getLocalSocketAddress();
            assertThatCode(() -> AdminServer.preflight(adminOn(held), List.of(tcp("127.0.0.1", 0))))
                .doesNotThrowAnyException();
        }
    }

    @Test
    void aMissingTokenFileIsRefusedNamingIt(@TempDir final Path dir) {
        final Path missing = dir.resolve("nope");
        assertThatThrownBy(() -> AdminServer.preflight(adminOn(LISTENER).withTokenFile(missing), List.of()))
            .isInstanceOf(IOException.class)
            .hasMessage("cannot read admin token file " + missing + ": no such file");
    }

    @Test
    void anEmptyTokenFileIsRefusedNamingIt(@TempDir final Path dir) throws IOException {
        final Path empty = Files.writeString(dir.resolve("empty"), "\n");
        assertThatThrownBy(() -> AdminServer.preflight(adminOn(LISTENER).withTokenFile(empty), List.of()))
            .hasMessage("admin token file " + empty + " is empty");
    }

    @Test
    void aTokenFileThatIsADirectoryIsRefusedNamingIt(@TempDir final Path dir) {
        assertThatThrownBy(() -> AdminServer.preflight(adminOn(LISTENER).withTokenFile(dir), List.of()))
            .isInstanceOf(IOException.class)
            .hasMessageStartingWith("cannot read admin token file " + dir + ": ");
    }

    @Test
    void aReadableTokenFileAndFreeAddressesPass(@TempDir final Path dir) throws IOException {
        final Path token = Files.writeString(dir.resolve("token"), "s3cret\n");
        assertThatCode(() -> AdminServer.preflight(adminOn(LISTENER).withTokenFile(token),
            List.of(tcp("127.0.0.1", 18081)))).doesNotThrowAnyException();
    }
}
