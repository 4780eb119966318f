package dev.niolb.proxyprotocol;

import java.net.InetAddress;
import java.nio.ByteBuffer;

/**
 * The v1 text forms of addresses and ports, read straight from the bytes of a buffer (the encoder writes them
 * with {@link dev.niolb.config.IpText}).
 *
 * <p>Stateless. Parsing never asks the resolver: only numeric literals are accepted, and they are turned into
 * addresses with {@link InetAddress#getByAddress(byte[])}, which does no lookup.
 */
final class AddressText {
    private AddressText() {
    }

    /**
     * Four decimal numbers 0..255 separated by single dots, without leading zeros.
     *
     * @return the 4 bytes, or null when the text is not exactly that
     */
    static byte[] parseIpv4(final ByteBuffer in, final int from, final int to) {
        final byte[] out = new byte[4];
        int i = from;
        for (int part = 0; part < 4; part++) {
            if (part > 0) {
                if (i >= to || in.get(i) != '.') {
                    return null;
                }
                i++;
            }
            final int start = i;
            int value = 0;
            while (i < to && i - start < 4 && isDigit(in.get(i))) {
                value = value * 10 + (in.get(i) - '0');
                i++;
            }
            final int digits = i - start;
            if (digits == 0 || digits > 3 || value > 255 || (digits > 1 && in.get(start) == '0')) {
                return null;
            }
            out[part] = (byte) value;
        }
        return i == to ? out : null;
    }

    /**
     * Eight groups of one to four hex digits separated by colons, with at most one {@code ::} standing for one or
     * more zero groups, and optionally a dotted IPv4 address as the last 32 bits.
     *
     * @return the 16 bytes, or null when the text is not an IPv6 address
     */
    static byte[] parseIpv6(final ByteBuffer in, final int from, final int to) {
        final int[] words = new int[8];
        int count = 0;
        int gap = -1; // index in words where "::" stands
        int i = from;
        if (to - from < 2) {
            return null;
        }
        if (in.get(i) == ':') {
            if (in.get(i + 1) != ':') {
                return null;
            }
            gap = 0;
            i += 2;
        }
        while (i < to) {
            if (count == 8) {
                return null;
            }
            final int start = i;
            int value = 0;
            while (i < to && i - start < 5 && hex(in.get(i)) >= 0) {
                value = (value << 4) | hex(in.get(i));
                i++;
            }
            if (i < to && in.get(i) == '.') { // an IPv4 tail: the last two groups
                if (count > 6) {
                    return null;
                }
                final byte[] v4 = parseIpv4(in, start, to);
                if (v4 == null) {
                    return null;
                }
                words[count++] = ((v4[0] & 0xFF) << 8) | (v4[1] & 0xFF);
                words[count++] = ((v4[2] & 0xFF) << 8) | (v4[3] & 0xFF);
                i = to;
                break;
            }
            final int digits = i - start;
            if (digits == 0 || digits > 4) {
                return null;
            }
            words[count++] = value;
            if (i == to) {
                break;
            }
            if (in.get(i) != ':') {
                return null;
            }
            i++;
            if (i < to && in.get(i) == ':') {
                if (gap >= 0) {
                    return null; // a second "::"
                }
                gap = count;
                i++;
            } else if (i == to) {
                return null; // a trailing single colon
            }
        }
        if (gap < 0 ? count != 8 : count > 7) {
            return null;
        }
        final byte[] out = new byte[16];
        final int zeros = 8 - count;
        for (int w = 0, k = 0; w < 8; w++) {
            final int value;
            if (gap >= 0 && w >= gap && w < gap + zeros) {
                value = 0;
            } else {
                value = words[k++];
            }
            out[2 * w] = (byte) (value >>> 8);
            out[2 * w + 1] = (byte) value;
        }
        return out;
    }

    /**
     * A decimal port 0..65535 without leading zeros.
     *
     * @return the port, or -1 when the text is not one
     */
    static int parsePort(final ByteBuffer in, final int from, final int to) {
        final int digits = to - from;
        if (digits < 1 || digits > 5 || (digits > 1 && in.get(from) == '0')) {
            return -1;
        }
        int value = 0;
        for (int i = from; i < to; i++) {
            if (!isDigit(in.get(i))) {
                return -1;
            }
            value = value * 10 + (in.get(i) - '0');
        }
        return value <= 65535 ? value : -1;
    }

    private static boolean isDigit(final byte c) {
        return c >= '0' && c <= '9';
    }

    private static int hex(final byte c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
}
