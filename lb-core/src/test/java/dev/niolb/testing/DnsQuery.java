package dev.niolb.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A minimal DNS resolver for tests (RFC 1035): one question of type A or TXT over UDP, the answers' data back.
 * Each {@link #resolve} uses a fresh socket, so each query comes from a new client port, as a stub resolver's do.
 */
public final class DnsQuery {
    public static final int A = 1;
    public static final int TXT = 16;

    private DnsQuery() {
    }

    /**
     * Asks {@code server} for {@code name}'s records of {@code type}: A records as dotted quads, TXT records as
     * their text. Tries {@code tries} times, waiting {@code timeoutMs} for each answer.
     *
     * @return the answers; null when no answer came at all
     * @throws IOException when the answer is not a valid reply to the question (wrong id, error code)
     */
    public static List<String> resolve(final InetSocketAddress server, final String name, final int type,
                                       final int tries, final int timeoutMs) throws IOException {
        final int id = ThreadLocalRandom.current().nextInt(1 << 16);
        final byte[] query = query(id, name, type);
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            socket.setSoTimeout(timeoutMs);
            final byte[] in = new byte[4096];
            for (int t = 0; t < tries; t++) {
                socket.send(new DatagramPacket(query, query.length, server));
                final DatagramPacket packet = new DatagramPacket(in, in.length);
                try {
                    socket.receive(packet);
                } catch (final SocketTimeoutException e) {
                    continue;
                }
                return answers(ByteBuffer.wrap(in, 0, packet.getLength()), id, type);
            }
            return null;
        }
    }

    static byte[] query(final int id, final String name, final int type) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteBuffer header = ByteBuffer.allocate(12);
        header.putShort((short) id).putShort((short) 0x0100) // standard query, recursion desired
            .putShort((short) 1).putShort((short) 0).putShort((short) 0).putShort((short) 0);
        out.writeBytes(header.array());
        for (final String label : name.split("\\.")) {
            final byte[] b = label.getBytes(StandardCharsets.US_ASCII);
            out.write(b.length);
            out.writeBytes(b);
        }
        out.write(0);
        out.write(type >> 8);
        out.write(type);
        out.write(0);
        out.write(1); // class IN
        return out.toByteArray();
    }

    static List<String> answers(final ByteBuffer reply, final int id, final int type) throws IOException {
        if ((reply.getShort(0) & 0xffff) != id) {
            throw new IOException("reply id " + (reply.getShort(0) & 0xffff) + " is not query id " + id);
        }
        final int flags = reply.getShort(2) & 0xffff;
        if ((flags & 0x8000) == 0 || (flags & 0xf) != 0) {
            throw new IOException("not a successful reply: flags 0x" + Integer.toHexString(flags));
        }
        final int questions = reply.getShort(4) & 0xffff;
        final int answers = reply.getShort(6) & 0xffff;
        reply.position(12);
        for (int q = 0; q < questions; q++) {
            skipName(reply);
            reply.position(reply.position() + 4);
        }
        final List<String> out = new ArrayList<>();
        for (int a = 0; a < answers; a++) {
            skipName(reply);
            final int rrType = reply.getShort() & 0xffff;
            reply.position(reply.position() + 6); // class, ttl
            final int length = reply.getShort() & 0xffff;
            final byte[] data = new byte[length];
            reply.get(data);
            if (rrType == type && type == A) {
                out.add(InetAddress.getByAddress(data).getHostAddress());
            } else if (rrType == type && type == TXT) {
                final StringBuilder text = new StringBuilder();
                for (int i = 0; i < data.length; i += 1 + (data[i] & 0xff)) {
                    text.append(new String(data, i + 1, data[i] & 0xff, StandardCharsets.US_ASCII));
                }
                out.add(text.toString());
            }
        }
        return out;
    }

    private static void skipName(final ByteBuffer b) {
        while (true) {
            final int len = b.get() & 0xff;
            if (len == 0) {
                return;
            }
            if ((len & 0xc0) == 0xc0) {
                b.get(); // a compression pointer ends the name
                return;
            }
            b.position(b.position() + len);
        }
    }
}
