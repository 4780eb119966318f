package dev.niolb.proxyprotocol;

import dev.niolb.proxyprotocol.DecodeResult.Decoded;
import dev.niolb.proxyprotocol.ProxyHeader.Proxied;
import dev.niolb.proxyprotocol.ProxyHeader.Transport;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class ProxyHeaderEncoderTest {

    @Test
    void aV1Ipv4HeaderIsTheSpecificationsLine() throws Exception {
        assertThat(text(ProxyHeaderEncoder.v1(at("192.168.0.1", 56324), at("192.168.0.11", 443))))
            .isEqualTo("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n");
    }

    @Test
    void aV1Ipv6HeaderWritesCompressedLowerCaseAddressesWithoutScope() throws Exception {
        final InetSocketAddress scoped = new InetSocketAddress(InetAddress.getByName("fe80::1%1"), 2);
        assertThat(text(ProxyHeaderEncoder.v1(at("2001:DB8:0:0:1:0:0:1", 1), scoped)))
            .isEqualTo("PROXY TCP6 2001:db8::1:0:0:1 fe80::1 1 2\r\n");
    }

    @Test
    void endpointsOfDifferentFamiliesAreBothWrittenAsIpv6() throws Exception {
        assertThat(text(ProxyHeaderEncoder.v1(at("10.0.0.1", 1), at("::1", 2))))
            .as("inet_ntop's form of a mapped address, as HAProxy writes it")
            .isEqualTo("PROXY TCP6 ::ffff:10.0.0.1 ::1 1 2\r\n");
        assertThat(proxied(ProxyHeaderEncoder.v1(at("10.0.0.1", 1), at("::1", 2))).source())
            .as("and it reads back").isEqualTo(at("10.0.0.1", 1));
        final Proxied p = proxied(ProxyHeaderEncoder.v2(at("10.0.0.1", 1), at("::1", 2), Transport.STREAM));
        assertThat(p.source()).isEqualTo(at("10.0.0.1", 1)); // the mapped address decodes back to the IPv4 client
        assertThat(p.destination()).isEqualTo(at("::1", 2));
    }

    @Test
    void aV2Ipv4HeaderIsTwentyEightBytesInNetworkOrder() throws Exception {
        final ByteBuffer b = ProxyHeaderEncoder.v2(at("127.0.0.2", 0xd431), at("127.0.0.1", 80), Transport.STREAM);
        assertThat(HexFormat.of().formatHex(bytes(b)))
            .isEqualTo("0d0a0d0a000d0a515549540a" + "21" + "11" + "000c" + "7f000002" + "7f000001" + "d431" + "0050");
    }

    @Test
    void aV2DatagramHeaderSaysDgram() throws Exception {
        final ByteBuffer b = ProxyHeaderEncoder.v2(at("2001:db8::1", 53), at("2001:db8::2", 53), Transport.DGRAM);
        assertThat(b.remaining()).isEqualTo(52);
        assertThat(b.get(13)).isEqualTo((byte) 0x22);
        assertThat(proxied(b).transport()).isEqualTo(Transport.DGRAM);
    }

    @Test
    void theLocalAndUnknownHeadersDecodeAsSuch() {
        assertThat(decode(ProxyHeaderEncoder.v2Local()).header()).isEqualTo(ProxyHeader.Local.INSTANCE);
        assertThat(decode(ProxyHeaderEncoder.v1Unknown()).header()).isEqualTo(ProxyHeader.Unknown.INSTANCE);
    }

    @Test
    void everyEncodedHeaderDecodesToWhatWasEncoded() throws Exception {
        final Random random = new Random(42);
        for (int i = 0; i < 2000; i++) {
            final boolean v6 = random.nextBoolean();
            final InetSocketAddress source = randomAddress(random, v6);
            final InetSocketAddress destination = randomAddress(random, v6);
            final Transport transport = random.nextBoolean() ? Transport.STREAM : Transport.DGRAM;
            final ByteBuffer v1 = ProxyHeaderEncoder.v1(source, destination);
            assertThat(v1.remaining()).isLessThanOrEqualTo(ProxyHeaderEncoder.MAX_LENGTH);
            assertThat(proxied(v1)).isEqualTo(new Proxied(source, destination, Transport.STREAM));
            final ByteBuffer v2 = ProxyHeaderEncoder.v2(source, destination, transport);
            assertThat(v2.remaining()).isLessThanOrEqualTo(ProxyHeaderEncoder.MAX_LENGTH);
            assertThat(proxied(v2)).isEqualTo(new Proxied(source, destination, transport));
        }
    }

    private static InetSocketAddress randomAddress(final Random random, final boolean v6) throws Exception {
        final byte[] raw = new byte[v6 ? 16 : 4];
        random.nextBytes(raw);
        if (v6) {
            // runs of zero groups, so that "::" compression is exercised at the start, middle and end
            final int zeroFrom = random.nextInt(8);
            final int zeroTo = zeroFrom + random.nextInt(8 - zeroFrom + 1);
            for (int w = zeroFrom; w < zeroTo; w++) {
                raw[2 * w] = 0;
                raw[2 * w + 1] = 0;
            }
            raw[0] |= 0x20; // never IPv4-mapped: that decodes (rightly) as IPv4
        }
        return new InetSocketAddress(InetAddress.getByAddress(raw), random.nextInt(65536));
    }

    private static Proxied proxied(final ByteBuffer header) {
        return (Proxied) decode(header).header();
    }

    private static Decoded decode(final ByteBuffer header) {
        final int length = header.remaining();
        final Decoded d = (Decoded) ProxyHeaderDecoder.decode(header);
        assertThat(d.length()).isEqualTo(length);
        return d;
    }

    private static byte[] bytes(final ByteBuffer b) {
        final byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    private static String text(final ByteBuffer b) {
        return new String(bytes(b), StandardCharsets.US_ASCII);
    }

    private static InetSocketAddress at(final String ip, final int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(ip), port);
    }
}
