package dev.niolb.udp;

import dev.niolb.proxyprotocol.DecodeResult;
import dev.niolb.proxyprotocol.ProxyHeader;
import dev.niolb.proxyprotocol.ProxyHeaderEncoder;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class DatagramHeaderReaderTest {
    private final DatagramHeaderReader reader = new DatagramHeaderReader(4096);

    private static ByteBuffer datagram(final String client, final String payload) {
        final ByteBuffer header = ProxyHeaderEncoder.v2(new InetSocketAddress(client, 4000),
            new InetSocketAddress("192.0.2.1", 53), ProxyHeader.Transport.DGRAM);
        final byte[] body = payload.getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocateDirect(header.remaining() + body.length).put(header).put(body).flip();
    }

    private static String rest(final ByteBuffer b) {
        return StandardCharsets.US_ASCII.decode(b).toString();
    }

    @Test
    void theHeaderIsStrippedAndThePayloadIsWhatRemains() {
        final ByteBuffer d = datagram("198.51.100.1", "query");
        final DecodeResult.Decoded decoded = reader.strip(d);
        assertThat(((ProxyHeader.Proxied) decoded.header()).source()).isEqualTo(new InetSocketAddress("198.51.100.1", 4000));
        assertThat(rest(d)).isEqualTo("query");
    }

    @Test
    void aRepeatedHeaderIsNotDecodedAgain() {
        final DecodeResult.Decoded first = reader.strip(datagram("198.51.100.1", "a"));
        final ByteBuffer again = datagram("198.51.100.1", "b");
        assertThat(reader.strip(again)).isSameAs(first); // the kept result: no decode, no allocation
        assertThat(rest(again)).isEqualTo("b");
        final DecodeResult.Decoded other = reader.strip(datagram("198.51.100.2", "c"));
        assertThat(other).isNotSameAs(first);
        assertThat(((ProxyHeader.Proxied) other.header()).source().getAddress().getHostAddress()).isEqualTo("198.51.100.2");
    }

    @Test
    void aDatagramWithoutAWholeHeaderIsRefusedAndLeftAsItWas() {
        final ByteBuffer cut = datagram("198.51.100.1", "");
        cut.limit(20);
        assertThat(reader.strip(cut)).isNull();
        assertThat(reader.problem()).isEqualTo(DecodeResult.Problem.TRUNCATED);
        final ByteBuffer plain = ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII));
        assertThat(reader.strip(plain)).isNull();
        assertThat(reader.problem()).isEqualTo(DecodeResult.Problem.NOT_PROXY);
        assertThat(plain.position()).isZero();
    }

    @Test
    void aV1HeaderIsRefusedBecauseUdpTakesV2Only() {
        final ByteBuffer v1 = ByteBuffer.wrap("PROXY TCP4 198.51.100.1 192.0.2.1 4000 53\r\nquery"
            .getBytes(StandardCharsets.US_ASCII));
        assertThat(reader.strip(v1)).isNull();
        assertThat(reader.problem()).isEqualTo(DecodeResult.Problem.V1_ON_DATAGRAM);
        assertThat(v1.position()).isZero();
    }
}
