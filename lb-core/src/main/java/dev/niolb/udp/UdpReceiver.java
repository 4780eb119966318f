package dev.niolb.udp;

import dev.niolb.admission.Admission;
import dev.niolb.balance.GroupBalancer;
import dev.niolb.config.AcceptProxy;
import dev.niolb.config.Endpoint;
import dev.niolb.loop.EventLoop;
import dev.niolb.loop.IoHandler;
import dev.niolb.proxyprotocol.DecodeResult;
import dev.niolb.proxyprotocol.ProxyHeader;
import dev.niolb.loop.Registration;
import dev.niolb.loop.Ready;
import dev.niolb.transport.DatagramSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.nio.ByteBuffer;

/**
 * Runs on one event loop (made on the thread that binds its listener, registered on the loop).
 *
 * A UDP listener's socket on one event loop: receives client datagrams, finds or opens each client's
 * {@link UdpFlow}, and sends the servers' replies back to clients from this socket, so that a client sees its
 * answers come from the address it asked.
 *
 * <p>Not threadsafe: owned by one loop, like every flow it opens. One direct buffer per receiver carries every
 * datagram of its flows both ways: a datagram is received into it and sent out of it before the next is read,
 * so nothing is copied and nothing is allocated per datagram (the JDK caches the sender's address object while
 * the sender repeats; a change of sender costs one {@link InetSocketAddress}, see {@code UdpPathBenchmark}).
 */
final class UdpReceiver implements IoHandler {
    private static final Logger LOG = LoggerFactory.getLogger(UdpReceiver.class);
    private static final InetAddress IPV4_ANY = InetAddress.ofLiteral("0.0.0.0");
    /**
     * One byte more than the largest UDP payload (65,535 less the 8-byte UDP header, less the IP header): a
     * datagram that fills the buffer would have been cut, so a full buffer is dropped and counted, never sent on.
     */
    static final int BUFFER_SIZE = 65_536;
    /** Datagrams per wake-up: enough to drain a burst, few enough that other sockets are not starved. */
    static final int DATAGRAMS_PER_WAKEUP = 64;

    private final UdpListener listener;
    private final EventLoop loop;
    private final DatagramSocket socket;
    private final int stripe;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_SIZE);
    private GroupBalancer balancer;
    private final FlowTable flows = new FlowTable();
    private final AcceptProxy acceptProxy;
    private final DatagramHeaderReader headers; // null unless the listener accepts PROXY headers
    private Registration key;
    private boolean accepting = true;
    private boolean retiring;
    private boolean handedOver; // a successor reads the socket: this one no longer does
    private boolean stopping; // niolb stops, handing over or not: flows end once quiet
    private boolean closed;
    /** {@link #closed}, for other threads. */
    private volatile boolean socketClosed;

    UdpReceiver(final UdpListener listener, final EventLoop loop, final DatagramSocket socket) {
        this.listener = listener;
        this.loop = loop;
        this.socket = socket;
        this.stripe = loop.index();
        this.balancer = new GroupBalancer(listener.group(), stripe);
        this.acceptProxy = listener.config().acceptProxy();
        this.headers = acceptProxy.enabled() ? new DatagramHeaderReader(acceptProxy.maxHeaderLength()) : null;
    }

    void register() throws IOException {
        key = socket.register(loop, Ready.READ, this);
    }

    @Override
    public void onReady(final int readyOps) {
        if (handedOver) {
            return; // a wake-up already on its way (a batch taken before), or a transport that calls again anyway
        }
        for (int i = 0; i < DATAGRAMS_PER_WAKEUP; i++) {
            buffer.clear();
            final InetSocketAddress sender;
            try {
                sender = socket.receive(buffer);
            } catch (final IOException e) {
                listener.counters().add(stripe, UdpListenerCounters.RECEIVE_ERRORS, 1);
                if (listener.warnDue(loop.nowMs())) {
                    listener.warnNow("receive failed: " + e.getMessage());
                }
                return;
            }
            if (sender == null) {
                return;
            }
            if (!buffer.hasRemaining()) {
                listener.counters().add(stripe, UdpListenerCounters.DROPPED_TOO_LARGE, 1);
                continue;
            }
            buffer.flip();
            InetSocketAddress client = sender;
            ProxyHeader header = null;
            if (headers != null) {
                if (acceptProxy.expectsHeaderFrom(sender.getAddress())) {
                    final DecodeResult.Decoded decoded = headers.strip(buffer);
                    if (decoded == null) {
                        listener.counters().add(stripe, UdpListenerCounters.DROPPED_PROXY_HEADER, 1);
                        // worded and addressed as TCP's line ("closed 10.0.0.9:51234: PROXY protocol header refused")
                        if (listener.warnDue(loop.nowMs())) {
                            listener.warnNow("dropped a datagram from " + Endpoint.hostPort(sender)
                                + ": PROXY protocol header refused: " + headers.problem().description());
                        }
                        continue;
                    }
                    listener.counters().add(stripe, UdpListenerCounters.PROXY_HEADERS, 1);
                    header = decoded.header().on(ProxyHeader.Transport.DGRAM);
                    client = header.sourceOr(sender);
                } else {
                    listener.counters().add(stripe, UdpListenerCounters.PROXY_DIRECT, 1);
                }
            }
            UdpFlow flow = flows.get(client, socket.receivedAt());
            if (flow == null && !buffer.hasRemaining() && !listener.transport().sendsEmptyDatagrams()
                && !listener.group().snapshot().anySendsProxyV2()) { // with a header it is not empty to the server
                // an empty datagram cannot be sent on nio's connected socket (UdpListenerCounters.DROPPED_EMPTY):
                // opening a flow and picking a server for it would only hide the drop
                listener.counters().add(stripe, UdpListenerCounters.DROPPED_EMPTY, 1);
                continue;
            }
            if (flow != null) {
                flow.fromClient(buffer, sender);
                continue;
            }
            // the sender, whom replies go to: not a PROXY header's client, who gets them through its proxy
            if (loops(sender, socket.receivedAt())) {
                // spoofed, or a server that writes to niolb's listener: a flow for it would send a server's
                // replies to that server (or to this listener), whose answers would keep the flow alive for ever
                // (black-box testing, session 29: one datagram, 175,000 a second between niolb and an echo server)
                listener.counters().add(stripe, UdpListenerCounters.DROPPED_FROM_SERVER, 1);
                if (listener.warnDue(loop.nowMs())) {
                    listener.warnNow("dropped a datagram from " + Endpoint.hostPort(sender) + ": it is the "
                        + "address of one of niolb's servers or UDP listeners, and a flow for it would send replies "
                        + "round in a loop");
                }
                continue;
            }
            flow = open(client, header instanceof ProxyHeader.Proxied p ? p.destination() : null,
                socket.receivedAt(), header != null && !(header instanceof ProxyHeader.Proxied));
            if (flow != null) {
                flow.fromClient(buffer, sender);
                flow.undoIfNothingWent(); // a first datagram dropped opens no flow, as an empty one does
            }
        }
    }

    /**
     * Whether a flow for {@code peer} would loop: it is a server of the listener's group, or the listener itself
     * ({@code receivedAt}: where it came in, for a wildcard-bound listener that can tell). For a new flow only.
     */
    private boolean loops(final InetSocketAddress peer, final InetAddress receivedAt) {
        return listener.group().snapshot().isServerAddress(peer) || listener.isAddressOf(peer, receivedAt)
            || listener.engineAddresses().loopsBack(peer, receivedAt);
    }

    /**
     * A flow for a new client, or null when the datagram is dropped (counted here or by the flow). The client is
     * admitted first (access list, per-source limits): an admitted flow holds a place in its source's count until
     * it ends, so every way out below that opens no flow gives the place back.
     *
     * @param destination the address the client sent to, as a PROXY header gave it; null for this listener's
     * @param receivedAt  the local address the datagram came in at (a wildcard-bound listener that can tell);
     *                    replies leave from it. Null: the listener's own address (or the kernel's choice)
     * @param proxysOwn   a trusted proxy's PROXY header named no client (LOCAL): not judged by the access list
     */
    private UdpFlow open(final InetSocketAddress client, final InetSocketAddress destination,
                         final InetAddress receivedAt, final boolean proxysOwn) {
        if (!accepting) {
            listener.counters().add(stripe, UdpListenerCounters.DROPPED_STOPPING, 1);
            return null;
        }
        // a new flow, not a datagram of one: a per-source limit takes its table's segment monitor here, as a TCP
        // accept does, never for the datagrams of an open flow. A header naming no client (LOCAL: the trusted
        // proxy's own datagrams, its health check) is the proxy's, judged by accept-proxy-from and deny, as on TCP
        final Admission admission = proxysOwn ? Admission.OPEN : listener.admission(); // what the flow releases
        final InetAddress source = client.getAddress();
        final Admission.Verdict verdict = proxysOwn ? listener.admission().admitProxysOwn(source)
            : admission.admit(source, loop.nowNanos());
        if (verdict != Admission.Verdict.OK) {
            listener.counters().add(stripe, UdpListenerCounters.droppedField(verdict), 1);
            return null;
        }
        // a sum over every loop's stripe: two loops opening flows at the same instant may pass the cap by
        // one each, which is the price of no shared atomic on this path
        if (listener.counters().active() >= listener.maxFlows()) {
            admission.release(source);
            listener.counters().add(stripe, UdpListenerCounters.DROPPED_FLOW_LIMIT, 1);
            // said, as TCP's maxconn is, at most once a second (black-box testing, session 33: only a counter); the
            // text built only then, not for each datagram of a flood
            if (listener.warnDue(loop.nowMs())) {
                listener.warnNow("udp-max-flows " + listener.maxFlows() + " reached: datagrams from new clients are "
                    + "dropped (flow_limit) until flows end");
            }
            return null;
        }
        if (balancer.group() != listener.group()) {
            balancer = new GroupBalancer(listener.group(), stripe); // a reload moved it
        }
        final InetSocketAddress bound = listener.localAddress();
        final InetSocketAddress sentTo = destination != null ? destination
            : receivedAt != null ? new InetSocketAddress(receivedAt, bound.getPort())
            : unknownDestination(client, bound);
        final UdpFlow flow = new UdpFlow(this, client, sentTo, receivedAt, admission);
        if (!flow.start()) {
            admission.release(source);
            listener.counters().add(stripe, flow.refusal(), 1);
            return null;
        }
        flows.put(client, flow);
        return flow;
    }

    /**
     * Where a transport cannot tell what address a datagram was sent to (nio), the listener's bound address; for an
     * IPv4 client of an IPv6 wildcard listener, the IPv4 wildcard: {@code ::} would make its PROXY v2 header an
     * IPv6 one, its source mapped, 24 bytes longer than epoll's for the same client (session 21).
     */
    private static InetSocketAddress unknownDestination(final InetSocketAddress client, final InetSocketAddress bound) {
        if (client.getAddress() instanceof Inet4Address && bound.getAddress() instanceof Inet6Address
            && bound.getAddress().isAnyLocalAddress()) {
            return new InetSocketAddress(IPV4_ANY, bound.getPort());
        }
        return bound;
    }

    /**
     * Sends a server's reply to {@code client} from the listener's address, or from {@code from} (the address the
     * client wrote to, for a wildcard-bound listener that can tell). A batching transport may send it later: if
     * the kernel then refuses it, {@code flow} hears of it ({@link DatagramSocket.Refusals}).
     *
     * @return false when the datagram was dropped (send buffer full, or the send failed)
     */
    boolean reply(final ByteBuffer datagram, final InetSocketAddress client, final InetAddress from,
                  final DatagramSocket.Refusals flow) {
        final int size = datagram.remaining();
        try {
            return socket.send(datagram, client, from, flow) == size;
        } catch (final IOException e) {
            LOG.debug("listener {}: reply to {} failed: {}", listener.name(), client, e.toString());
            return false;
        }
    }

    @Override
    public void onFailure(final Throwable failure) {
        // a bug while handling one datagram: the socket and the flows are fine, so the receiver goes on
        listener.counters().add(stripe, UdpListenerCounters.RECEIVE_ERRORS, 1);
    }

    /**
     * niolb stops: no new flows; existing ones go on through the grace period while datagrams flow, and each ends
     * once quiet for {@link UdpFlow#STOPPING_QUIET_MS}, as at a hand-over: a UDP flow has no end of its own, and the
     * idle timeout of every quiet one held the stop, and the port a restart binds, for as long (30 s by default:
     * black-box testing, session 33). Loop thread.
     */
    void stopAccepting() {
        accepting = false;
        stopping = true;
        flows.forEach(UdpFlow::stopping);
    }

    /**
     * A successor reads from this socket now: reading here would only take datagrams from it (a new client's,
     * dropped here as stopping). Flows go on: their replies leave from the socket, and their clients' next
     * datagrams go to the successor, which opens flows for them; so each ends once quiet for
     * {@link UdpFlow#STOPPING_QUIET_MS} (or its idle timeout, if shorter), not the whole idle timeout, which held
     * a stop, and with it a restart's successor, for as long (black-box testing, session 30). Loop thread.
     */
    void handOver() {
        accepting = false;
        handedOver = true;
        stopping = true;
        if (key != null) {
            key.interest(0);
        }
        flows.forEach(UdpFlow::stopping);
    }

    /** niolb stops (a successor may read the socket): this receiver's flows end once quiet. Loop thread. */
    boolean stopping() {
        return stopping;
    }

    /** The listener left the config: no new flows; the socket closes with the last flow. Loop thread. */
    void retire() {
        accepting = false;
        retiring = true;
        if (flows.size() == 0) {
            closeSocket();
        }
    }

    /**
     * A reload adds the listener back before every loop's last flow ended: if its socket is still open, this
     * receiver opens flows again and its flows go on. Loop thread.
     *
     * @return whether it was taken back; false when its socket had closed (it then stays retired)
     */
    boolean takeBack() {
        if (closed) {
            return false;
        }
        accepting = true;
        retiring = false;
        return true;
    }

    /**
     * Ends a retiring receiver's flows now, so that its socket closes (with the last of them) and its address is
     * free: a takeover's successor whose config has the listener again binds it. Loop thread.
     *
     * @return the flows ended
     */
    int endRetiringFlows() {
        if (!retiring || closed) {
            return 0;
        }
        final List<UdpFlow> open = new java.util.ArrayList<>(flows.size());
        flows.forEach(open::add);
        for (final UdpFlow f : open) {
            f.close(dev.niolb.session.Termination.SHUTDOWN);
        }
        if (!closed) {
            closeSocket(); // no flow left to close it
        }
        // closed for real before the successor binds its address: on nio a registered channel kept its socket until
        // the selector's next select, and a bind right after this found the address in use (seen under load)
        loop.flushClosedChannels();
        return open.size();
    }

    /** A flow ended: it leaves the table, and a retiring receiver's socket closes with its last flow. Loop. */
    void flowEnded(final InetSocketAddress client, final UdpFlow flow) {
        flows.remove(client, flow);
        if (retiring && flows.size() == 0) {
            closeSocket();
        }
    }

    /** Runs {@code task} once the replies sent so far have left (or been refused, and the refusal reported). */
    void whenRepliesSent(final Runnable task) {
        socket.whenSent(task);
    }

    /** Closes the socket of a receiver whose loop never ran (or that retired). */
    void closeSocket() {
        if (closed) {
            return; // a descriptor number closed twice could be another socket's by now
        }
        if (key != null) {
            key.cancel();
            key = null;
        }
        socket.close();
        closed = true;
        socketClosed = true;
    }

    /** Whether the socket has closed: for the reload's thread, which keeps a retired listener while it is open. */
    boolean socketClosed() {
        return socketClosed;
    }

    /** The socket's descriptor, or -1 when it has none (NIO) or is closed. Loop, or after the loop said so. */
    int descriptor() {
        return closed ? -1 : socket.descriptor();
    }

    EventLoop loop() {
        return loop;
    }

    /** Sets the socket's {@code SO_RCVBUF} ({@link DatagramSocket#receiveBuffer}). Loop, or before it runs. */
    int receiveBuffer(final int bytes) throws IOException {
        if (closed) {
            return bytes; // a loop that serves a taken-back listener no more: nothing to size
        }
        return socket.receiveBuffer(bytes);
    }

    UdpListener listener() {
        return listener;
    }

    GroupBalancer balancer() {
        return balancer;
    }

    FlowTable flows() {
        return flows;
    }

    ByteBuffer buffer() {
        return buffer;
    }

    int stripe() {
        return stripe;
    }
}
