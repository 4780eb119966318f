package dev.niolb.admin;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The token's proof on its own: what it is bound to, and what it cannot be made to stand for. */
class AdminProofTest {
    private static final byte[] TOKEN = "abcdefghijklmnopqrstuvwxyz".getBytes(StandardCharsets.US_ASCII);
    private static final String NONCE = "00112233445566778899aabbccddeeff";

    @Test
    void aProofAskedWithALongerNonceCannotStandForAnotherAddress() throws Exception {
        // "aaaaaaaaaaaa" is the ASCII of the first twelve bytes of this IPv6 address: without the fields' lengths,
        // the two inputs were the same bytes
        final InetSocketAddress v4 = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 20120);
        final InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("6161:6161:6161:6161:6161:6161:7f00:1"), 20120);

        final String asked = AdminProof.of(TOKEN, NONCE + "aaaaaaaaaaaa", v4);

        assertThat(AdminProof.proves(TOKEN, NONCE, v6, asked)).isFalse();
        assertThat(AdminProof.proves(TOKEN, NONCE + "aaaaaaaaaaaa", v4, asked)).isTrue();
    }

    @Test
    void aProofHoldsForItsAddressAndPortOnly() throws Exception {
        final InetSocketAddress at = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 9900);
        final String proof = AdminProof.of(TOKEN, NONCE, at);

        assertThat(AdminProof.proves(TOKEN, NONCE, new InetSocketAddress(at.getAddress(), 9901), proof)).isFalse();
        assertThat(AdminProof.proves(TOKEN, NONCE, new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 9900), proof))
            .isFalse();
        assertThat(AdminProof.proves(TOKEN, NONCE, at, proof)).isTrue();
    }
}
