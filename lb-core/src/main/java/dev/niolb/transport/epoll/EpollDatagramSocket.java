package dev.niolb.transport.epoll;

import dev.niolb.loop.EventLoop;
import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Registration;
import dev.niolb.transport.DatagramSocket;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * Used on the event loop it is registered with.
 *
 * A UDP socket. A receive hands back the same address object as last time when the sender is the same (a
 * flow's server, a client sending a burst): the raw address is compared, so no allocation per datagram there.
 * A gathering write (a PROXY header and a payload) is copied into one native buffer and sent as one datagram.
 *
 * <p>Threading: the event loop it is registered with.
 */
final class EpollDatagramSocket extends EpollFd implements DatagramSocket {
    private InetSocketAddress lastSender;
    private long lastSenderHigh;
    private long lastSenderLow;
    private long lastSenderTail;
    private int lastSenderScope;
    private int lastSenderLength;

    /** A listening socket's recvmmsg batch; null for a flow's socket. */
    private DatagramBatch batch;
    /** The local address the last datagram was sent to (a wildcard-bound listener with IP_PKTINFO), or null. */
    private InetAddress receivedAt;
    private final byte[] at = new byte[16];
    private final byte[] lastAt = new byte[16];
    private int lastAtLength;
    private InetAddress lastSource;
    private byte[] lastSourceBytes;

    EpollDatagramSocket(final int fd, final int family) {
        super(fd, family);
    }

    /** Receives in batches from now on (a listener's socket: many senders, bursts). */
    void batched() {
        batch = new DatagramBatch();
    }

    /**
     * Learns, for each datagram, the local address it was sent to ({@code IP_PKTINFO}, and {@code IPV6_PKTINFO}
     * on an IPv6 socket): for a listener bound to a wildcard address, whose replies must leave from the address
     * each client wrote to. A batched socket only.
     */
    void withPacketInfo() throws IOException {
        if (family() == Libc.AF_INET6) {
            setInt(Libc.IPPROTO_IPV6, Libc.IPV6_RECVPKTINFO, 1);
        }
        try {
            setInt(Libc.IPPROTO_IP, Libc.IP_PKTINFO, 1); // IPv4 clients of a dual-stack socket too
        } catch (final IOException e) {
            if (family() == Libc.AF_INET) {
                throw e;
            } // an IPv6-only socket: IPV6_PKTINFO is all it needs
        }
        batch.withControl();
    }

    @Override
    public InetAddress receivedAt() {
        return receivedAt;
    }

    @Override
    public InetSocketAddress receive(final ByteBuffer dst) throws IOException {
        ensureOpen();
        if (batch != null) {
            return receiveBatched(dst);
        }
        final Scratch scratch = Scratch.mine();
        final int position = dst.position();
        while (true) {
            final MemorySegment length = scratch.length(scratch.addressCapacity());
            final long n = Libc.recvfrom(fd(), MemorySegment.ofBuffer(dst), dst.limit() - position, 0,
                scratch.address, length);
            if (n >= 0) {
                dst.position(position + (int) Math.min(n, dst.limit() - position));
                return sender(scratch.address, length.get(ValueLayout.JAVA_INT, 0));
            }
            final int errno = Libc.errno();
            if (errno == Errors.EAGAIN) {
                return null;
            }
            if (errno != Errors.EINTR) {
                throw Errors.ofDatagram("recvfrom", errno);
            }
        }
    }

    /**
     * The next datagram of the batch, taking a new batch when this one is handed out. Datagrams left in the
     * batch are invisible to epoll (the kernel's queue may be empty), so the poller is told to report this socket
     * readable again until they are handed out: a receiver that stops early never strands them.
     */
    private InetSocketAddress receiveBatched(final ByteBuffer dst) throws IOException {
        while (!batch.hasNext()) {
            if (batch.fill(fd()) >= 0) {
                break;
            }
            final int errno = Libc.errno();
            if (errno == Errors.EAGAIN) {
                return null;
            }
            if (errno != Errors.EINTR) {
                throw Errors.ofDatagram("recvmmsg", errno);
            }
        }
        final int position = dst.position();
        final int n = batch.copyNext(MemorySegment.ofBuffer(dst));
        final InetSocketAddress from = sender(batch.names(), batch.senderOffset(), batch.senderLength());
        receivedAt = localOf(batch.destination(at));
        batch.advance();
        dst.position(position + n);
        if (batch.hasNext()) {
            final EpollPoller poller = poller();
            if (poller != null) {
                poller.readyAgain(this);
            }
        }
        return from;
    }

    /** The address in {@link #at}'s first {@code length} bytes: the one kept from last time when they are the same. */
    private InetAddress localOf(final int length) throws IOException {
        if (length == 0) {
            return null;
        }
        if (receivedAt != null && length == lastAtLength && java.util.Arrays.equals(at, 0, length, lastAt, 0, length)) {
            return receivedAt;
        }
        System.arraycopy(at, 0, lastAt, 0, length);
        lastAtLength = length;
        final boolean mapped = length == 16 && java.util.Arrays.equals(at, 0, 12, V4_MAPPED, 0, 12);
        return InetAddress.getByAddress(mapped ? java.util.Arrays.copyOfRange(at, 12, 16)
            : java.util.Arrays.copyOf(at, length));
    }

    private static final byte[] V4_MAPPED = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF};

    private InetSocketAddress sender(final MemorySegment address, final int length) throws IOException {
        return sender(address, 0, length);
    }

    /** The sender's address: the one kept from last time when its bytes are the same. */
    private InetSocketAddress sender(final MemorySegment names, final long offset, final int length)
        throws IOException {
        final long high = names.get(ValueLayout.JAVA_LONG, offset);
        final long low = names.get(ValueLayout.JAVA_LONG, offset + 8);
        final long tail = length > 16 ? names.get(ValueLayout.JAVA_LONG, offset + 16) : 0L;
        final int scope = length > 24 ? names.get(ValueLayout.JAVA_INT, offset + 24) : 0;
        if (lastSender != null && length == lastSenderLength && high == lastSenderHigh && low == lastSenderLow
            && tail == lastSenderTail && scope == lastSenderScope) {
            return lastSender;
        }
        final InetSocketAddress sender = SocketAddresses.read(names.asSlice(offset), length);
        lastSender = sender;
        lastSenderLength = length;
        lastSenderHigh = high;
        lastSenderLow = low;
        lastSenderTail = tail;
        lastSenderScope = scope;
        return sender;
    }

    @Override
    public int send(final ByteBuffer src, final InetSocketAddress to) throws IOException {
        ensureOpen();
        final Scratch scratch = Scratch.mine();
        final int length = SocketAddresses.write(to, family(), scratch.address);
        final int position = src.position();
        long n;
        do {
            n = sent(Libc.sendto(fd(), MemorySegment.ofBuffer(src), src.limit() - position, 0, scratch.address,
                length), "sendto");
        } while (n == INTERRUPTED);
        src.position(position + (int) n);
        return (int) n;
    }

    /** A send was interrupted by a signal before anything was sent: try again. */
    private static final long INTERRUPTED = -1;

    /**
     * A datagram send's result: the bytes sent; 0 when the send buffer is full (the datagram is dropped, as UDP
     * may); {@link #INTERRUPTED} to try again; anything else is thrown.
     */
    private static long sent(final long n, final String call) throws IOException {
        if (n >= 0) {
            return n;
        }
        final int errno = Libc.errno();
        if (errno == Errors.EAGAIN || errno == Errors.ENOBUFS) {
            return 0;
        }
        if (errno == Errors.EINTR) {
            return INTERRUPTED;
        }
        throw Errors.ofDatagram(call, errno);
    }

    /**
     * {@code sendmsg} with an {@code IP_PKTINFO} (or {@code IPV6_PKTINFO}) control message naming the source
     * address: the reply of a wildcard-bound listener leaves from the address the client wrote to.
     */
    @Override
    public int send(final ByteBuffer src, final InetSocketAddress to, final InetAddress from) throws IOException {
        if (from == null) {
            return send(src, to);
        }
        ensureOpen();
        final Scratch scratch = Scratch.mine();
        final MemorySegment m = scratch.message;
        final int nameLength = SocketAddresses.write(to, family(), scratch.address);
        m.set(ValueLayout.JAVA_INT, 8, nameLength);
        final int position = src.position();
        final int count = src.limit() - position;
        final MemorySegment payload;
        if (src.isDirect()) {
            payload = MemorySegment.ofBuffer(src);
        } else {
            payload = scratch.datagram();
            MemorySegment.copy(MemorySegment.ofBuffer(src), 0, payload, 0, count);
        }
        m.set(ValueLayout.ADDRESS, 64, payload);
        m.set(ValueLayout.JAVA_LONG, 72, count);
        for (long o = 80; o < 120; o += 8) {
            m.set(ValueLayout.JAVA_LONG, o, 0L); // the control buffer: unset fields (ifindex) must be 0
        }
        final byte[] source = sourceBytes(from);
        final long controlLength;
        if (source.length == 4) {
            m.set(ValueLayout.JAVA_LONG, 80, 16 + 12);   // cmsg_len: the header and an in_pktinfo
            m.set(ValueLayout.JAVA_INT, 88, Libc.IPPROTO_IP);
            m.set(ValueLayout.JAVA_INT, 92, Libc.IP_PKTINFO);
            MemorySegment.copy(source, 0, m, ValueLayout.JAVA_BYTE, 96 + 4, 4); // ipi_spec_dst: the source to use
            controlLength = 32;
        } else {
            m.set(ValueLayout.JAVA_LONG, 80, 16 + 20);   // the header and an in6_pktinfo
            m.set(ValueLayout.JAVA_INT, 88, Libc.IPPROTO_IPV6);
            m.set(ValueLayout.JAVA_INT, 92, Libc.IPV6_PKTINFO);
            MemorySegment.copy(source, 0, m, ValueLayout.JAVA_BYTE, 96, 16);
            controlLength = 40;
        }
        m.set(ValueLayout.JAVA_LONG, 40, controlLength);
        long n;
        do {
            n = sent(Libc.sendmsg(fd(), m, 0), "sendmsg");
        } while (n == INTERRUPTED);
        src.position(position + (int) n);
        return (int) n;
    }

    /** {@code from}'s bytes: a flow replies from one address, so they are asked for once while it repeats. */
    private byte[] sourceBytes(final InetAddress from) {
        if (from != lastSource) {
            lastSource = from;
            lastSourceBytes = from.getAddress();
        }
        return lastSourceBytes;
    }

    @Override
    public void connect(final InetSocketAddress remote) throws IOException {
        ensureOpen();
        final Scratch scratch = Scratch.mine();
        final int length = SocketAddresses.write(remote, family(), scratch.address);
        if (Libc.connect(fd(), scratch.address, length) < 0) {
            throw Errors.ofDatagram("connect", Libc.errno());
        }
    }

    @Override
    public int write(final ByteBuffer src) throws IOException {
        ensureOpen();
        final int position = src.position();
        final int n = send(MemorySegment.ofBuffer(src), src.limit() - position);
        src.position(position + n);
        return n;
    }

    @Override
    public long write(final ByteBuffer[] srcs) throws IOException {
        ensureOpen();
        final MemorySegment datagram = Scratch.mine().datagram();
        long total = 0;
        for (final ByteBuffer src : srcs) {
            final int count = src.remaining();
            if (total + count > datagram.byteSize()) {
                throw new IOException("datagram too large: more than " + datagram.byteSize() + " bytes");
            }
            MemorySegment.copy(MemorySegment.ofBuffer(src), 0, datagram, total, count);
            total += count;
        }
        final int sent = send(datagram, total);
        if (sent > 0) {
            for (final ByteBuffer src : srcs) {
                src.position(src.limit()); // a datagram goes whole or not at all
            }
        }
        return sent;
    }

    private int send(final MemorySegment from, final long count) throws IOException {
        long n;
        do {
            n = sent(Libc.send(fd(), from, count, 0), "send");
        } while (n == INTERRUPTED);
        return (int) n;
    }

    @Override
    public Registration register(final EventLoop loop, final int ops, final IoHandler handler) throws IOException {
        return registerWith(loop, ops, handler);
    }

    @Override
    public InetSocketAddress localAddress() throws IOException {
        return boundAddress();
    }

    @Override
    boolean holdsReadable() {
        return batch != null && batch.hasNext();
    }

    @Override
    void closeQuietly() {
        close();
    }

    @Override
    public void close() {
        closeFd(false);
        if (batch != null) {
            batch.close();
            batch = null;
        }
    }

    @Override
    public int descriptor() {
        return fd();
    }
}
