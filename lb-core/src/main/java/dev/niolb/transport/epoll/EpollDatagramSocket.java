package dev.niolb.transport.epoll;

import dev.niolb.loop.EventLoop;
import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Registration;
import dev.niolb.transport.DatagramSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * Used on the event loop it is registered with.
 *
 * A UDP socket. A receive hands back the same address object as before when the sender is one it met lately (a
 * flow's server; a listener's clients, who take turns), and a send to such an address reuses its bytes
 * ({@link RecentAddresses}): no allocation per datagram there.
 * A gathering write (a PROXY header and a payload) is copied into one native buffer and sent as one datagram.
 *
 * <p>Threading: the event loop it is registered with.
 */
final class EpollDatagramSocket extends EpollFd implements DatagramSocket {
    private static final Logger LOG = LoggerFactory.getLogger(EpollDatagramSocket.class);

    /** A listening socket's recvmmsg batch; null for a flow's socket. */
    private DatagramBatch batch;
    /** The addresses met lately, both ways: a listener's many clients, or a flow's one server; made on first use. */
    private RecentAddresses recent;
    /** The local address the last datagram was sent to (a wildcard-bound listener with IP_PKTINFO), or null. */
    private InetAddress receivedAt;
    /** The largest UDP payload to the connected peer: 65,535 less the UDP header, and less IPv4's own header. */
    private static final int MAX_PAYLOAD_V4 = 65_507;
    private static final int MAX_PAYLOAD_V6 = 65_527;
    private int maxPayload = MAX_PAYLOAD_V6;
    private final byte[] at = new byte[16];
    private final byte[] lastAt = new byte[16];
    private int lastAtLength;
    private InetAddress lastSource;
    private byte[] lastSourceBytes;
    /** The last batch taken was not full: the kernel's queue was empty then (see receiveBatched). */
    private boolean drained;

    /** Datagrams sent or written on the loop since it last waited, or null (see DatagramOutboxes). */
    private DatagramOutbox outbox;
    private DatagramOutboxes outboxes;
    private Refusals refusals;
    /** What waits for the queue to be sent (see {@link #whenSent}). */
    private Runnable[] waitingForSend = NOTHING_WAITS;
    private int waitingCount;
    private static final Runnable[] NOTHING_WAITS = new Runnable[0];
    /** A queued write met ICMP port unreachable: the next receive or write reports it. */
    private boolean unreachable;
    private ByteBuffer viewed;
    private MemorySegment view;

    EpollDatagramSocket(final int fd, final int family) {
        super(fd, family);
    }

    /** Receives in batches from now on (a listener's socket: many senders, bursts). */
    void batched() {
        batch = new DatagramBatch();
        recent = new RecentAddresses(RecentAddresses.LISTENER_SLOTS);
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
        reportUnreachable();
        if (batch != null) {
            return receiveBatched(dst, batch);
        }
        final EpollPoller poller = poller();
        if (poller != null && poller.outboxes().onLoop()) {
            final DatagramBatch shared = poller.sharedBatch().lend(this);
            if (shared != null) {
                return receiveBatched(dst, shared);
            }
        }
        final Scratch scratch = Scratch.mine();
        final int position = dst.position();
        while (true) {
            final MemorySegment length = scratch.length(scratch.addressCapacity());
            final long n = Libc.recvfrom(fd(), MemorySegment.ofBuffer(dst), dst.limit() - position, 0,
                scratch.address, length);
            if (n >= 0) {
                dst.position(position + (int) Math.min(n, dst.limit() - position));
                return recent().sender(scratch.address, 0, length.get(ValueLayout.JAVA_INT, 0));
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
     * readable again until they are handed out: a receiver that stops early never strands them. After a batch that
     * was not full, the next receive past it says "none" without asking the kernel (one syscall less per wake-up).
     */
    private InetSocketAddress receiveBatched(final ByteBuffer dst, final DatagramBatch batch) throws IOException {
        while (!batch.hasNext()) {
            if (drained) {
                // the last batch was not full, so the queue was empty then: rather than a recvmmsg that would
                // almost always say EAGAIN, "none" now; epoll is level-triggered, so a datagram come since is
                // reported at the loop's next wait
                drained = false;
                return null;
            }
            final int n = batch.fill(fd());
            if (n >= 0) {
                drained = n < DatagramBatch.SLOTS;
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
        final int n = batch.copyNext(viewOf(dst), position, dst.limit() - position);
        final InetSocketAddress from = recent().sender(batch.names(), batch.senderOffset(), batch.senderLength());
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

    /**
     * Datagrams left in a batch, or an unreachable port to report. A receiver that stopped early leaves datagrams
     * behind, but one that went on took them all in the same wake-up: then nothing waits, and the receive the
     * poller would call for would only ask the kernel again for a queue the short batch already showed empty.
     */
    @Override
    boolean stillReady() {
        return holdsReadable();
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

    /** The addresses met lately; a flow's socket, which meets one, makes a one-slot cache when it first needs it. */
    private RecentAddresses recent() {
        if (recent == null) {
            recent = new RecentAddresses(1);
        }
        return recent;
    }

    /**
     * Queued when the socket's loop calls it (see {@link #outboxFor}): the datagram's size is returned at once, and
     * if the kernel refuses it when the loop sends its queue, the {@link Refusals} hear of it.
     */
    @Override
    public int send(final ByteBuffer src, final InetSocketAddress to) throws IOException {
        return sendTo(src, to, null);
    }

    private int sendTo(final ByteBuffer src, final InetSocketAddress to, final Refusals owner) throws IOException {
        ensureOpen();
        final Scratch scratch = Scratch.mine();
        final int position = src.position();
        final int count = src.limit() - position;
        final DatagramOutbox box = outboxFor(count);
        if (box != null) {
            MemorySegment.copy(viewOf(src), position, box.data(), box.nextOffset(), count);
            box.add(count, scratch.address, recent().write(to, family(), scratch.address), null, owner);
            src.position(position + count);
            return count;
        }
        final int length = SocketAddresses.write(to, family(), scratch.address);
        long n;
        do {
            n = sent(Libc.sendto(fd(), MemorySegment.ofBuffer(src), count, 0, scratch.address, length), "sendto");
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
     * address: the reply of a wildcard-bound listener leaves from the address the client wrote to. Queued as
     * {@link #send(ByteBuffer, InetSocketAddress)} is, each datagram with its own source.
     */
    @Override
    public int send(final ByteBuffer src, final InetSocketAddress to, final InetAddress from) throws IOException {
        return send(src, to, from, null);
    }

    /** Queued with its owner, who hears if the kernel refuses it when the loop sends the queue. */
    @Override
    public int send(final ByteBuffer src, final InetSocketAddress to, final InetAddress from, final Refusals owner)
        throws IOException {
        if (from == null) {
            return sendTo(src, to, owner);
        }
        ensureOpen();
        final Scratch scratch = Scratch.mine();
        final MemorySegment m = scratch.message;
        final int position = src.position();
        final int count = src.limit() - position;
        final byte[] source = sourceBytes(from);
        final DatagramOutbox box = outboxFor(count);
        final int nameLength = recent().write(to, family(), scratch.address);
        if (box != null) {
            MemorySegment.copy(viewOf(src), position, box.data(), box.nextOffset(), count);
            box.add(count, scratch.address, nameLength, source, owner);
            src.position(position + count);
            return count;
        }
        m.set(ValueLayout.JAVA_INT, 8, nameLength);
        final MemorySegment payload;
        if (src.isDirect()) {
            payload = MemorySegment.ofBuffer(src);
        } else {
            payload = scratch.datagram();
            MemorySegment.copy(MemorySegment.ofBuffer(src), 0, payload, 0, count);
        }
        m.set(ValueLayout.ADDRESS, 64, payload);
        m.set(ValueLayout.JAVA_LONG, 72, count);
        final long controlLength = PacketInfo.write(m, 80, source); // the message's control buffer, at 80
        m.set(ValueLayout.JAVA_LONG, 40, controlLength);
        long n;
        do {
            n = sent(Libc.sendmsg(fd(), m, 0), "sendmsg");
        } while (n == INTERRUPTED);
        src.position(position + (int) n);
        return (int) n;
    }

    /**
     * A segment over the whole of {@code buffer} (position 0 to its capacity), kept while the same buffer comes
     * back (the receiver's one buffer carries every datagram): {@code MemorySegment.ofBuffer} makes two objects
     * per call that escape analysis does not always remove.
     */
    private MemorySegment viewOf(final ByteBuffer buffer) {
        if (buffer != viewed) {
            view = MemorySegment.ofBuffer(buffer.duplicate().clear());
            viewed = buffer;
        }
        return view;
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
    public int receiveBuffer(final int bytes) throws IOException {
        setInt(Libc.SOL_SOCKET, Libc.SO_RCVBUF, bytes);
        return getInt(Libc.SOL_SOCKET, Libc.SO_RCVBUF) / 2; // Linux reports the doubled size it keeps
    }

    /** {@code SO_MEMINFO} is {@code u32[9]}; {@code SK_MEMINFO_DROPS}, the ninth, counts a full queue's drops. */
    private static final int MEMINFO_BYTES = 36;
    private static final long DROPS_OFFSET = 32;

    /** {@code SO_ERROR}: a connected UDP socket's pending ICMP error, which reading it clears. */
    @Override
    public boolean refusedAlready() {
        try {
            return getInt(Libc.SOL_SOCKET, Libc.SO_ERROR) == Errors.ECONNREFUSED;
        } catch (final java.io.IOException e) {
            return false;
        }
    }

    @Override
    public long receiveDrops() {
        if (isClosed()) {
            return -1;
        }
        final Scratch scratch = Scratch.mine();
        final MemorySegment length = scratch.length(MEMINFO_BYTES);
        if (Libc.getsockopt(fd(), Libc.SOL_SOCKET, Libc.SO_MEMINFO, scratch.address, length) < 0
            || length.get(ValueLayout.JAVA_INT, 0) < MEMINFO_BYTES) {
            return -1; // a kernel before 4.6 (SK_MEMINFO_DROPS): nothing to say, rather than a wrong 0
        }
        return Integer.toUnsignedLong(scratch.address.get(ValueLayout.JAVA_INT, DROPS_OFFSET));
    }

    @Override
    public void connect(final InetSocketAddress remote) throws IOException {
        ensureOpen();
        final Scratch scratch = Scratch.mine();
        final int length = SocketAddresses.write(remote, family(), scratch.address);
        if (Libc.connect(fd(), scratch.address, length) < 0) {
            throw Errors.ofDatagram("connect", Libc.errno());
        }
        maxPayload = remote.getAddress() instanceof Inet4Address ? MAX_PAYLOAD_V4 : MAX_PAYLOAD_V6;
    }

    /**
     * Refuses at once, as a direct send does ({@code EMSGSIZE}), a datagram larger than UDP carries to the connected
     * peer: queued, the kernel would refuse it only when the loop sends the queue, after the caller had taken it
     * for sent (a PROXY header then counted as delivered though it never was).
     */
    private void checkSize(final long bytes) throws IOException {
        if (bytes > maxPayload) {
            throw Errors.ofDatagram("send", Errors.EMSGSIZE);
        }
    }

    /** Queued as {@link #send(ByteBuffer, InetSocketAddress)} is. */
    @Override
    public int write(final ByteBuffer src) throws IOException {
        ensureOpen();
        reportUnreachable();
        final int position = src.position();
        final int count = src.limit() - position;
        checkSize(count);
        final DatagramOutbox box = outboxFor(count);
        reportUnreachable(); // a full queue sent just now may have met it
        if (box != null) {
            MemorySegment.copy(viewOf(src), position, box.data(), box.nextOffset(), count);
            box.add(count, null, 0, null, null);
            src.position(position + count);
            return count;
        }
        final int n = send(MemorySegment.ofBuffer(src), count);
        src.position(position + n);
        return n;
    }

    /** Gathered into the loop's queue, or into one native buffer and sent, as one datagram. */
    @Override
    public long write(final ByteBuffer[] srcs, final Refusals owner) throws IOException {
        ensureOpen();
        reportUnreachable();
        long total = 0;
        for (final ByteBuffer src : srcs) {
            total += src.remaining();
        }
        checkSize(total);
        final DatagramOutbox box = total > Scratch.DATAGRAM_BYTES ? null : outboxFor(total);
        reportUnreachable();
        final MemorySegment datagram = box != null ? box.data() : Scratch.mine().datagram();
        final long base = box != null ? box.nextOffset() : 0;
        if (total > Scratch.DATAGRAM_BYTES) {
            throw new IOException("datagram too large: more than " + Scratch.DATAGRAM_BYTES + " bytes");
        }
        long at = base;
        for (final ByteBuffer src : srcs) {
            final int count = src.remaining();
            MemorySegment.copy(MemorySegment.ofBuffer(src), 0, datagram, at, count);
            at += count;
        }
        final long sent;
        if (box != null) {
            box.add(total, null, 0, null, owner);
            sent = total;
        } else {
            sent = send(datagram, total);
        }
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

    // ------------------------------------------------------------------------------------ batched sends

    /**
     * The outbox to queue a datagram of {@code bytes} in, or null to send it now. A socket queues when its loop's
     * thread sends on it (the poller sends the queue before it next waits, {@link DatagramOutboxes}); a send from
     * any other thread, on a socket no loop watches, or when every outbox of the loop is taken, goes out at once.
     * Order is kept: a socket with datagrams queued queues the next one too, sending its queue first when full.
     */
    private DatagramOutbox outboxFor(final long bytes) {
        if (outbox == null) {
            if (bytes > DatagramOutbox.DATA_BYTES) {
                return null;
            }
            final EpollPoller poller = poller();
            if (poller == null) {
                return null;
            }
            final DatagramOutboxes pool = poller.outboxes();
            if (!pool.onLoop()) {
                return null;
            }
            outbox = pool.take(this);
            outboxes = pool;
            return outbox;
        }
        if (!outbox.fits(bytes)) {
            flushOutbox();
            if (bytes > DatagramOutbox.DATA_BYTES) {
                return null;
            }
        }
        return outbox;
    }

    /**
     * Sends this socket's queue now, tells the owners of what the kernel refused, and runs what waited for the
     * queue to be sent ({@link #whenSent}). The outbox stays.
     */
    private void flushOutbox() {
        outbox.flush(fd());
        if (outbox.refused() > 0) {
            reportRefused();
        }
        runWhenSent();
    }

    private void reportRefused() {
        if (outbox.unreachable() && !unreachable) {
            unreachable = true; // the next receive (which the poller calls for at once) or write reports it
            final EpollPoller poller = poller();
            if (poller != null) {
                poller.readyAgain(this);
            }
        }
        int unowned = outbox.refused();
        long unownedBytes = outbox.refusedBytes();
        for (int i = 0; i < outbox.refusedOwned(); i++) {
            final long bytes = outbox.refusedOwnerBytes(i);
            outbox.takeRefusedOwner(i).refused(1, bytes);
            unowned--;
            unownedBytes -= bytes;
        }
        if (refusals != null && unowned > 0) {
            refusals.refused(unowned, unownedBytes);
        }
    }

    /** Waits for the queue to be sent when something is queued, else runs at once. */
    @Override
    public void whenSent(final Runnable task) {
        if (outbox == null || outbox.isEmpty() || isClosed()) {
            task.run();
            return;
        }
        if (waitingCount == waitingForSend.length) {
            waitingForSend = java.util.Arrays.copyOf(waitingForSend, Math.max(4, waitingCount * 2));
        }
        waitingForSend[waitingCount++] = task;
    }

    /**
     * Runs in the poller's flush, outside the loop's guard around handlers: a task that fails must not leave the
     * socket (and the loop's pool of outboxes) half-flushed, or every later flush would fail before the loop waits.
     */
    private void runWhenSent() {
        final int count = waitingCount;
        waitingCount = 0;
        for (int i = 0; i < count; i++) {
            final Runnable task = waitingForSend[i];
            waitingForSend[i] = null;
            try {
                task.run();
            } catch (final RuntimeException e) {
                LOG.warn("a task waiting for datagrams to be sent failed", e);
            }
        }
    }

    /** The loop is about to wait: sends the queue and hands the outbox back to the pool. */
    DatagramOutbox sendQueued() {
        final DatagramOutbox sent = outbox;
        if (!isClosed()) {
            flushOutbox();
        } else {
            runWhenSent();
        }
        outbox = null;
        return sent;
    }

    /** Throws the ICMP port unreachable a queued write met, once (as the kernel reports a socket error once). */
    private void reportUnreachable() throws IOException {
        if (unreachable) {
            unreachable = false;
            throw Errors.ofDatagram("sendmmsg", Errors.ECONNREFUSED);
        }
    }

    @Override
    public void onRefused(final Refusals refused) {
        this.refusals = refused;
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
        if (unreachable || batch != null && batch.hasNext()) {
            return true;
        }
        final EpollPoller poller = poller();
        return poller != null && poller.sharedBatch().holds(this);
    }

    @Override
    void closeQuietly() {
        close();
    }

    /** Sends what is queued first: a datagram a send accepted leaves, as the kernel's own queue would. */
    @Override
    public void close() {
        if (outbox != null && !isClosed()) {
            flushOutbox();
            outboxes.giveBack(this, outbox);
            outbox = null;
        }
        final EpollPoller poller = poller();
        if (poller != null) {
            poller.sharedBatch().release(this);
        }
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
