package dev.niolb.proxyprotocol;

import dev.niolb.proxyprotocol.DecodeResult.Decoded;
import dev.niolb.proxyprotocol.DecodeResult.Malformed;
import dev.niolb.proxyprotocol.DecodeResult.Problem;
import dev.niolb.proxyprotocol.ProxyHeader.Proxied;
import dev.niolb.proxyprotocol.ProxyHeader.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

class ProxyHeaderDecoderTest {
    private static final String SIG = "0d0a0d0a000d0a515549540a";

    // ------------------------------------------------------------------------------------------------- v1

    @Test
    void aV1Tcp4LineDecodesToItsEndpointsAndItsLength() throws Exception {
        final Decoded d = decoded(ascii("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n"));
        assertThat(d.length()).isEqualTo("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n".length());
        assertThat(d.header()).isEqualTo(new Proxied(at("192.168.0.1", 56324), at("192.168.0.11", 443),
            Transport.STREAM));
    }

    @Test
    void aV1Tcp6LineDecodesCompressedAndFullAddresses() throws Exception {
        final Decoded d = decoded(ascii("PROXY TCP6 2001:db8::1 2001:0db8:0000:0000:0000:0000:0000:00FF 1 65535\r\n"));
        assertThat(d.header()).isEqualTo(new Proxied(at("2001:db8::1", 1), at("2001:db8::ff", 65535),
            Transport.STREAM));
    }

    @Test
    void aV1Tcp6LineMayEndItsAddressesInDottedIpv4() throws Exception {
        final Decoded d = decoded(ascii("PROXY TCP6 ::ffff:10.0.0.1 64:ff9b::192.0.2.33 0 80\r\n"));
        final Proxied p = (Proxied) d.header();
        assertThat(p.source()).isEqualTo(at("10.0.0.1", 0)); // a mapped address is the IPv4 client it stands for
        assertThat(p.destination()).isEqualTo(at("64:ff9b::c000:221", 80));
    }

    @Test
    void aV1UnknownLineIsValidWithOrWithoutAddresses() {
        assertThat(decoded(ascii("PROXY UNKNOWN\r\n")).header()).isEqualTo(ProxyHeader.Unknown.INSTANCE);
        final String full = "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
            + "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
        assertThat(full).hasSize(ProxyHeaderDecoder.V1_MAX_LENGTH);
        final Decoded d = decoded(ascii(full + "x"));
        assertThat(d.header()).isEqualTo(ProxyHeader.Unknown.INSTANCE);
        assertThat(d.length()).isEqualTo(107);
    }

    @Test
    void aV1LineArrivingByteByByteNeedsMoreUntilItsLf() {
        final byte[] line = "PROXY TCP4 10.0.0.1 10.0.0.2 1000 2000\r\n".getBytes(StandardCharsets.US_ASCII);
        for (int n = 0; n < line.length; n++) {
            assertThat(ProxyHeaderDecoder.decode(ByteBuffer.wrap(line, 0, n))).as("after %d bytes", n)
                .isSameAs(DecodeResult.NEED_MORE);
        }
        assertThat(ProxyHeaderDecoder.decode(ByteBuffer.wrap(line))).isInstanceOf(Decoded.class);
    }

    @Test
    void decodingReadsFromThePositionAndMovesNothing() {
        final ByteBuffer in = ascii("xxPROXY UNKNOWN\r\n");
        in.position(2);
        final int limit = in.limit();
        assertThat(decoded(in).length()).isEqualTo(15);
        assertThat(in.position()).isEqualTo(2);
        assertThat(in.limit()).isEqualTo(limit);
    }

    @Test
    void aV1LineWithoutCrlfWithinTheFirst107BytesIsTooLong() {
        final String junk = "PROXY UNKNOWN " + "a".repeat(200);
        assertThat(ProxyHeaderDecoder.decode(ascii(junk.substring(0, 106)))).isSameAs(DecodeResult.NEED_MORE);
        assertThat(problem(ascii(junk.substring(0, 107)))).isEqualTo(Problem.V1_TOO_LONG);
        // a CR as byte 107 would put the LF at 108
        assertThat(problem(ascii(junk.substring(0, 106) + "\r\n"))).isEqualTo(Problem.V1_TOO_LONG);
        assertThat(problem(ascii(junk.substring(0, 106) + "\r"))).isEqualTo(Problem.V1_TOO_LONG);
        assertThat(decoded(ascii(junk.substring(0, 105) + "\r\n")).length()).isEqualTo(107); // exactly 107: valid
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GET / HTTP/1.1\r\n",
        "PROXZ TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
        "PROXY\tTCP4 1.2.3.4 5.6.7.8 1 2\r\n",
        "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
        "\u0016\u0003\u0001"})
    void bytesThatDoNotStartAHeaderAreRefusedAtOnce(final String input) {
        assertThat(problem(latin1(input))).isEqualTo(Problem.NOT_PROXY);
    }

    @Test
    void aBadSignatureIsRefusedBeforeTheLineEnds() {
        assertThat(problem(ascii("PRX"))).isEqualTo(Problem.NOT_PROXY);
        assertThat(problem(ascii("G"))).isEqualTo(Problem.NOT_PROXY);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",         // LF without CR
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rx\n",      // CR without LF
        "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n",      // two spaces
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",      // trailing space
        "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",         // a field missing
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",     // a field too many
        "PROXY TCP4\r\n",
        "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",       // not a protocol of v1
        "PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n",
        "PROXY UNKNOWNX\r\n",
        "PROXY \r\n"})
    void aMalformedV1LineIsRefused(final String line) {
        assertThat(problem(ascii(line))).isEqualTo(Problem.BAD_LINE);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "PROXY TCP4 256.1.1.1 5.6.7.8 1 2\r\n",
        "PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n",      // a leading zero (octal?)
        "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n",
        "PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n",
        "PROXY TCP4 1.2.3.4 localhost 1 2\r\n",     // never a name: no lookups
        "PROXY TCP4 1.2..4 5.6.7.8 1 2\r\n",
        "PROXY TCP6 ::1 1::2::3 1 2\r\n",           // two ::
        "PROXY TCP6 ::1 12345::1 1 2\r\n",          // five hex digits
        "PROXY TCP6 ::1 1:2:3:4:5:6:7:8:9 1 2\r\n",
        "PROXY TCP6 ::1 1:2:3:4:5:6:7 1 2\r\n",     // seven groups, no ::
        "PROXY TCP6 ::1 :1 1 2\r\n",
        "PROXY TCP6 ::1 1: 1 2\r\n",
        "PROXY TCP6 ::1 ::g 1 2\r\n",
        "PROXY TCP6 ::1 fe80::1%eth0 1 2\r\n"})     // no scope in the protocol
    void aV1AddressThatIsNotCanonicalIsRefused(final String line) {
        assertThat(problem(ascii(line))).isEqualTo(Problem.BAD_ADDRESS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"65536", "080", "00", "-1", "1a", "999999", "+80"})
    void aV1PortOutsideDecimalZeroTo65535IsRefused(final String port) {
        assertThat(problem(ascii("PROXY TCP4 1.2.3.4 5.6.7.8 " + port + " 2\r\n"))).isEqualTo(Problem.BAD_PORT);
        assertThat(problem(ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1 " + port + "\r\n"))).isEqualTo(Problem.BAD_PORT);
    }

    @Test
    void aV1PortMayBeZero() {
        assertThat(((Proxied) decoded(ascii("PROXY TCP4 1.2.3.4 5.6.7.8 0 0\r\n")).header()).source().getPort())
            .isZero();
    }

    @ParameterizedTest
    @CsvSource({
        "PROXY TCP4 ::1 5.6.7.8 1 2",
        "PROXY TCP4 1.2.3.4 2001:db8::1 1 2",
        "PROXY TCP6 1.2.3.4 ::1 1 2",
        "PROXY TCP6 ::1 5.6.7.8 1 2"})
    void aV1AddressOfTheOtherFamilyIsAFamilyMismatch(final String line) {
        assertThat(problem(ascii(line + "\r\n"))).isEqualTo(Problem.FAMILY_MISMATCH);
    }

    // ------------------------------------------------------------------------------------------------- v2

    @Test
    void aV2Ipv4StreamHeaderDecodesToItsEndpoints() throws Exception {
        final ByteBuffer in = hex(SIG + "21" + "11" + "000c" + "7f000002" + "7f000001" + "d431" + "0050" + "474554");
        final Decoded d = decoded(in);
        assertThat(d.length()).isEqualTo(28);
        assertThat(d.header()).isEqualTo(new Proxied(at("127.0.0.2", 0xd431), at("127.0.0.1", 80), Transport.STREAM));
    }

    @Test
    void aV2Ipv6DatagramHeaderDecodesToItsEndpoints() throws Exception {
        final ByteBuffer in = hex(SIG + "21" + "22" + "0024" + "20010db8000000000000000000000001"
            + "20010db8000000000000000000000002" + "0035" + "1f90");
        final Decoded d = decoded(in);
        assertThat(d.length()).isEqualTo(52);
        assertThat(d.header()).isEqualTo(new Proxied(at("2001:db8::1", 53), at("2001:db8::2", 8080), Transport.DGRAM));
    }

    @Test
    void aV2HeaderIsReadInNetworkOrderWhateverTheBuffersOrder() throws Exception {
        final ByteBuffer in = hex(SIG + "21" + "11" + "000c" + "0a000001" + "0a000002" + "0102" + "0304");
        in.order(ByteOrder.LITTLE_ENDIAN);
        assertThat(((Proxied) decoded(in).header()).source()).isEqualTo(at("10.0.0.1", 0x0102));
    }

    @Test
    void aV2LocalCommandIsLocalWhateverItsAddressBlockHolds() {
        final Decoded d = decoded(hex(SIG + "20" + "11" + "0003" + "ffffff"));
        assertThat(d.header()).isEqualTo(ProxyHeader.Local.INSTANCE);
        assertThat(d.length()).isEqualTo(19);
        assertThat(decoded(hex(SIG + "20" + "00" + "0000")).header()).isEqualTo(ProxyHeader.Local.INSTANCE);
    }

    @Test
    void aV2UnspecOrUnixHeaderIsUnknown() {
        assertThat(decoded(hex(SIG + "21" + "00" + "0000")).header()).isEqualTo(ProxyHeader.Unknown.INSTANCE);
        assertThat(decoded(hex(SIG + "21" + "10" + "000c" + "00".repeat(12))).header())
            .isEqualTo(ProxyHeader.Unknown.INSTANCE); // INET but transport UNSPEC
        final Decoded unix = decoded(hex(SIG + "21" + "31" + "00d8" + "2f".repeat(216)));
        assertThat(unix.header()).isEqualTo(ProxyHeader.Unknown.INSTANCE);
        assertThat(unix.length()).isEqualTo(16 + 216);
    }

    @Test
    void aV2HeaderSkipsItsTlvsAndCountsThemInItsLength() throws Exception {
        // NOOP with 3 bytes, then UNIQUE_ID with 2 bytes: 12 + 6 + 5 = 23
        final ByteBuffer in = hex(SIG + "21" + "11" + "0017" + "0a000001" + "0a000002" + "0001" + "0002"
            + "04" + "0003" + "000000" + "05" + "0002" + "abcd" + "ff");
        final Decoded d = decoded(in);
        assertThat(d.length()).isEqualTo(16 + 23);
        assertThat(((Proxied) d.header()).destination()).isEqualTo(at("10.0.0.2", 2));
    }

    @Test
    void aV2HeaderArrivingByteByByteNeedsMoreUntilItsLastByte() {
        final byte[] header = HexFormat.of().parseHex(SIG + "21" + "11" + "0010" + "0a000001" + "0a000002" + "0001"
            + "0002" + "04" + "0001" + "00");
        for (int n = 0; n < header.length; n++) {
            assertThat(ProxyHeaderDecoder.decode(ByteBuffer.wrap(header, 0, n))).as("after %d bytes", n)
                .isSameAs(DecodeResult.NEED_MORE);
        }
        assertThat(decoded(ByteBuffer.wrap(header)).length()).isEqualTo(header.length);
    }

    @Test
    void aV2SignatureThatDiffersAnywhereIsRefusedAsSoonAsItDiffers() {
        assertThat(problem(hex("0d0a0d0a000d0a5155495400"))).isEqualTo(Problem.NOT_PROXY);
        assertThat(problem(hex("0d0a0d0a01"))).isEqualTo(Problem.NOT_PROXY);
        assertThat(problem(hex("0d0d"))).isEqualTo(Problem.NOT_PROXY);
    }

    @Test
    void aV2VersionOtherThanTwoIsRefused() {
        assertThat(problem(hex(SIG + "11"))).isEqualTo(Problem.BAD_VERSION);
        assertThat(problem(hex(SIG + "31" + "11" + "000c" + "00".repeat(12)))).isEqualTo(Problem.BAD_VERSION);
    }

    @Test
    void aV2CommandOtherThanLocalOrProxyIsRefused() {
        assertThat(problem(hex(SIG + "22"))).isEqualTo(Problem.BAD_COMMAND);
        assertThat(problem(hex(SIG + "2f" + "11" + "000c"))).isEqualTo(Problem.BAD_COMMAND);
    }

    @Test
    void aV2FamilyOrTransportOutsideTheSpecificationIsRefused() {
        assertThat(problem(hex(SIG + "21" + "41"))).isEqualTo(Problem.BAD_FAMILY);
        assertThat(problem(hex(SIG + "21" + "13"))).isEqualTo(Problem.BAD_TRANSPORT);
    }

    @Test
    void aV2HeaderLongerThanTheBoundIsRefusedAsSoonAsItsLengthIsRead() {
        final ByteBuffer fixedPart = hex(SIG + "21" + "11" + "1000"); // 16 + 4096
        assertThat(problem(fixedPart)).isEqualTo(Problem.V2_TOO_LONG);
        assertThat(Problem.V2_TOO_LONG.oversize()).isTrue();
        assertThat(ProxyHeaderDecoder.decode(fixedPart, 16 + 4096)).isSameAs(DecodeResult.NEED_MORE);
        final ByteBuffer small = hex(SIG + "21" + "11" + "000c" + "00".repeat(12));
        assertThat(ProxyHeaderDecoder.decode(small, 27)).isEqualTo(Malformed.of(Problem.V2_TOO_LONG));
        assertThat(ProxyHeaderDecoder.decode(small, 28)).isInstanceOf(Decoded.class);
    }

    @Test
    void aV2LengthShorterThanItsFamilysAddressBlockIsRefused() {
        assertThat(problem(hex(SIG + "21" + "11" + "0008" + "00".repeat(8)))).isEqualTo(Problem.BAD_LENGTH);
        assertThat(problem(hex(SIG + "21" + "21" + "000c" + "00".repeat(12)))).isEqualTo(Problem.BAD_LENGTH);
        assertThat(problem(hex(SIG + "21" + "31" + "000c" + "00".repeat(12)))).isEqualTo(Problem.BAD_LENGTH);
    }

    @Test
    void aV2TlvThatRunsPastTheHeaderIsRefused() {
        final String addresses = "0a000001" + "0a000002" + "0001" + "0002";
        // a TLV claiming 9 bytes where 2 are left
        assertThat(problem(hex(SIG + "21" + "11" + "0011" + addresses + "04" + "0009" + "0000")))
            .isEqualTo(Problem.BAD_TLV);
        // two bytes: too short for a TLV's type and length
        assertThat(problem(hex(SIG + "21" + "11" + "000e" + addresses + "0400"))).isEqualTo(Problem.BAD_TLV);
    }

    @Test
    void aV2HeaderWhoseCrc32cTlvMatchesIsDecoded() throws Exception {
        final ByteBuffer in = withCrc32c(SIG + "21" + "11" + "001e" + "0a000001" + "0a000002" + "0001" + "0002"
            + "04" + "0003" + "000000" + "05" + "0002" + "abcd" + "03" + "0004" + "00000000");
        in.order(ByteOrder.LITTLE_ENDIAN); // the checksum is read in network order whatever the buffer's
        final Decoded d = decoded(in);
        assertThat(d.length()).isEqualTo(16 + 30);
        assertThat(((Proxied) d.header()).source()).isEqualTo(at("10.0.0.1", 1));
        assertThat(in.position()).isZero();
    }

    @Test
    void aV2HeaderWhoseCrc32cTlvDoesNotMatchIsRefused() {
        final ByteBuffer good = withCrc32c(SIG + "21" + "11" + "0013" + "0a000001" + "0a000002" + "0001" + "0002"
            + "03" + "0004" + "00000000");
        final ByteBuffer wrongCrc = copy(good).put(good.limit() - 1, (byte) (good.get(good.limit() - 1) ^ 1));
        assertThat(problem(wrongCrc)).isEqualTo(Problem.BAD_CHECKSUM);
        final ByteBuffer otherPort = copy(good).put(16 + 9, (byte) 2); // the address block changed after the sum
        assertThat(problem(otherPort)).isEqualTo(Problem.BAD_CHECKSUM);
    }

    @Test
    void aV2Crc32cTlvOfAnyLengthButFourIsRefused() {
        assertThat(problem(hex(SIG + "21" + "11" + "0012" + "0a000001" + "0a000002" + "0001" + "0002"
            + "03" + "0003" + "000000"))).isEqualTo(Problem.BAD_CHECKSUM);
    }

    @Test
    void theTestsCrc32cIsTheStandardOne() {
        // the check value of CRC-32C (Castagnoli) over "123456789", from the catalogue of CRCs
        assertThat(crc32c("123456789".getBytes(StandardCharsets.US_ASCII))).isEqualTo(0xE3069283L);
    }

    @Test
    void expectedLengthIsKnownOnceTheFixedPartOfAV2HeaderHasArrived() {
        assertThat(ProxyHeaderDecoder.expectedLength(hex(SIG + "21" + "11" + "00"))).isEqualTo(-1);
        assertThat(ProxyHeaderDecoder.expectedLength(hex(SIG + "21" + "11" + "0123"))).isEqualTo(16 + 0x123);
        assertThat(ProxyHeaderDecoder.expectedLength(ascii("PROXY UNKNOWN\r\n"))).isEqualTo(-1);
    }

    @Test
    void anEmptyBufferNeedsMore() {
        assertThat(ProxyHeaderDecoder.decode(ByteBuffer.allocate(0))).isSameAs(DecodeResult.NEED_MORE);
    }

    // --------------------------------------------------------------------------------------------- helpers

    private static Decoded decoded(final ByteBuffer in) {
        final DecodeResult r = ProxyHeaderDecoder.decode(in);
        assertThat(r).isInstanceOf(Decoded.class);
        return (Decoded) r;
    }

    private static Problem problem(final ByteBuffer in) {
        final DecodeResult r = ProxyHeaderDecoder.decode(in);
        assertThat(r).isInstanceOf(Malformed.class);
        return ((Malformed) r).problem();
    }

    private static ByteBuffer ascii(final String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    private static ByteBuffer latin1(final String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    static ByteBuffer hex(final String hex) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(HexFormat.of().parseHex(hex));
        return ByteBuffer.wrap(out.toByteArray());
    }

    /**
     * The header {@code hex}, whose last 4 bytes are its CRC32C TLV's value, with that value filled in: the
     * checksum of the whole header with those bytes zero, computed here bit by bit (not with the JDK's CRC32C
     * that the decoder uses) so that the two cannot share a mistake.
     */
    private static ByteBuffer withCrc32c(final String hex) {
        final byte[] header = HexFormat.of().parseHex(hex);
        final long crc = crc32c(header);
        for (int i = 0; i < 4; i++) {
            header[header.length - 4 + i] = (byte) (crc >>> (24 - 8 * i));
        }
        return ByteBuffer.wrap(header);
    }

    /** CRC-32C (Castagnoli): reflected polynomial 0x82F63B78, initial and final XOR 0xFFFFFFFF. */
    private static long crc32c(final byte[] bytes) {
        int crc = 0xFFFFFFFF;
        for (final byte b : bytes) {
            crc ^= b & 0xFF;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x82F63B78 : crc >>> 1;
            }
        }
        return ~crc & 0xFFFF_FFFFL;
    }

    private static ByteBuffer copy(final ByteBuffer in) {
        final byte[] bytes = new byte[in.remaining()];
        in.get(in.position(), bytes);
        return ByteBuffer.wrap(bytes);
    }

    private static InetSocketAddress at(final String ip, final int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(ip), port);
    }
}
