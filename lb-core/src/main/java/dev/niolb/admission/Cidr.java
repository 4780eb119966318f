package dev.niolb.admission;

import dev.niolb.config.IpText;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * An address block: {@code 10.0.0.0/8}, {@code 2001:db8::/32}, or one host ({@code 192.0.2.7} = /32, {@code ::1} = /128).
 *
 * <p>Held as two longs (the high and low 64 bits, IPv4 in the low 32 bits of {@code low}) so that a match is a few
 * masked compares. An IPv4 block never matches an IPv6 address and vice versa; the JDK already hands IPv4-mapped
 * IPv6 peers ({@code ::ffff:a.b.c.d}) to us as {@link Inet4Address}.
 *
 * @param prefixLength 0..32 for IPv4, 0..128 for IPv6
 */
public record Cidr(boolean ipv4, long high, long low, int prefixLength) {
    public Cidr {
        final int max = ipv4 ? 32 : 128;
        if (prefixLength < 0 || prefixLength > max) {
            throw new IllegalArgumentException("prefix length must be 0.." + max + ", got " + prefixLength);
        }
        high &= maskHigh(ipv4, prefixLength);
        low &= maskLow(ipv4, prefixLength);
    }

    /**
     * Parses {@code ADDRESS[/LENGTH]}; host bits beyond the prefix are cleared ({@code 10.1.2.3/8} is {@code 10.0.0.0/8}).
     *
     * @throws IllegalArgumentException with a one-line message naming the bad part
     */
    public static Cidr parse(final String text) {
        Objects.requireNonNull(text, "text");
        final String s = text.strip();
        final int slash = s.indexOf('/');
        final String addressPart = slash < 0 ? s : s.substring(0, slash);
        final byte[] bytes = literal(addressPart, text);
        final boolean v4 = bytes.length == 4;
        int length = v4 ? 32 : 128;
        if (slash >= 0) {
            final String lengthPart = s.substring(slash + 1);
            try {
                length = dev.niolb.config.Numbers.parseInt(lengthPart);
            } catch (final NumberFormatException e) {
                throw new IllegalArgumentException("bad CIDR '" + text + "': prefix length '" + lengthPart
                    + "' is not a number");
            }
            if (v4 && addressPart.indexOf(':') >= 0) {
                // ::ffff:a.b.c.d/LENGTH: an IPv4 block written as IPv6 (the JDK reads the address as IPv4, as
                // the kernel hands mapped peers over), its length counted over 128 bits. Below 96 it is an IPv6
                // block wider than every mapped address (::ffff:127.0.3.0/24 is ::/24), and 0..32 was read over
                // the IPv4 address instead, silently another set than the one written (black-box testing,
                // session 30): refused either way
                if (length < 96 || length > 128) {
                    throw new IllegalArgumentException("bad CIDR '" + text + "': an IPv4-mapped block needs a prefix"
                        + " length of 96..128, got " + length + (length > 32 ? "" : " (an IPv4 block is written "
                        + addressPart.substring(addressPart.lastIndexOf(':') + 1) + "/" + length + ")"));
                }
                length -= 96;
            }
            if (length < 0 || length > (v4 ? 32 : 128)) {
                throw new IllegalArgumentException("bad CIDR '" + text + "': prefix length must be 0.."
                    + (v4 ? 32 : 128) + ", got " + length);
            }
        }
        return v4 ? new Cidr(true, 0, toLong(bytes, 0, 4), length)
                  : new Cidr(false, toLong(bytes, 0, 8), toLong(bytes, 8, 8), length);
    }

    /** Whether {@code address} lies in this block. */
    public boolean contains(final InetAddress address) {
        if (address instanceof Inet4Address) {
            // Inet4Address.hashCode() is its address: no byte[] copy on the accept path
            return ipv4 && ((address.hashCode() & 0xFFFF_FFFFL) & maskLow(true, prefixLength)) == low;
        }
        if (ipv4) {
            return false;
        }
        final byte[] b = address.getAddress();
        return (toLong(b, 0, 8) & maskHigh(false, prefixLength)) == high
            && (toLong(b, 8, 8) & maskLow(false, prefixLength)) == low;
    }

    @Override
    public String toString() {
        if (ipv4) {
            return (low >>> 24) + "." + ((low >>> 16) & 0xFF) + "." + ((low >>> 8) & 0xFF) + "." + (low & 0xFF)
                + "/" + prefixLength;
        }
        return ipv6Text() + "/" + prefixLength;
    }

    /** RFC 5952 text ({@link IpText}). */
    private String ipv6Text() {
        final byte[] bytes = new byte[16];
        for (int i = 0; i < 8; i++) {
            bytes[i] = (byte) (high >>> (56 - 8 * i));
            bytes[8 + i] = (byte) (low >>> (56 - 8 * i));
        }
        return IpText.ipv6(bytes);
    }

    private static byte[] literal(final String address, final String text) {
        // only literals: a CIDR must never trigger a DNS lookup
        final boolean looksNumeric = !address.isEmpty()
            && address.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':');
        if (!looksNumeric || (address.indexOf(':') < 0 && address.chars().filter(c -> c == '.').count() != 3)) {
            throw new IllegalArgumentException("bad CIDR '" + text + "': expected an IPv4 or IPv6 address[/length]");
        }
        try {
            return InetAddress.getByName(address).getAddress();
        } catch (final java.net.UnknownHostException | RuntimeException e) {
            throw new IllegalArgumentException("bad CIDR '" + text + "': '" + address + "' is not an IP address");
        }
    }

    private static long toLong(final byte[] b, final int from, final int count) {
        long v = 0;
        for (int i = from; i < from + count; i++) {
            v = (v << 8) | (b[i] & 0xFF);
        }
        return v;
    }

    private static long maskHigh(final boolean v4, final int length) {
        if (v4 || length == 0) {
            return 0;
        }
        return length >= 64 ? -1L : -1L << (64 - length);
    }

    private static long maskLow(final boolean v4, final int length) {
        if (v4) {
            return length == 0 ? 0 : (0xFFFF_FFFFL << (32 - length)) & 0xFFFF_FFFFL;
        }
        if (length <= 64) {
            return 0;
        }
        return length == 128 ? -1L : -1L << (128 - length);
    }
}
