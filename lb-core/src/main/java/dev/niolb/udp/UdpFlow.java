package dev.niolb.udp;

import dev.niolb.accesslog.AccessLog;
import dev.niolb.accesslog.AccessRecord;
import dev.niolb.admission.Admission;
import dev.niolb.balance.ClientHash;
import dev.niolb.config.Durations;
import dev.niolb.config.Endpoint;
import dev.niolb.config.Protocol;
import dev.niolb.config.SendProxy;
import dev.niolb.loop.EventLoop;
import dev.niolb.loop.LoopTimer;
import dev.niolb.loop.IoHandler;
import dev.niolb.session.LoopSession;
import dev.niolb.session.ServerAttempts;
import dev.niolb.session.SessionInfo;
import dev.niolb.session.Termination;
import dev.niolb.loop.Timeout;
import dev.niolb.proxyprotocol.ProxyHeader;
import dev.niolb.proxyprotocol.ProxyHeaderEncoder;
import dev.niolb.backend.Server;
import dev.niolb.backend.ServerCounters;
import dev.niolb.backend.ServerState;
import dev.niolb.backend.TargetGroup;
import dev.niolb.balance.GroupBalancer;
import dev.niolb.loop.Ready;
import dev.niolb.transport.DatagramSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.nio.ByteBuffer;

/**
 * Runs on one event loop, its receiver's, for its whole life.
 *
 * One client address and the socket niolb connected to a server for it: the client's datagrams go out of that
 * socket, the server's replies come in on it and go back to the client from the listener's socket.
 *
 * <p>Not threadsafe: owned by the loop of the {@link UdpReceiver} that saw the client's first datagram; the
 * server socket is registered with that loop and the flow is in its connection table.
 *
 * <p>Life: the first datagram picks a server with the group's balancer (which only picks servers that
 * {@link Server#acceptsNew() accept new sessions}) and opens the flow; the flow ends when idle for the listener's
 * idle timeout (one timer, re-armed lazily: datagrams only stamp the time), or at once when it has had
 * {@code responses} replies for every datagram it sent (nginx's {@code proxy_responses}), or when its server
 * fails and no other can take it.
 *
 * <p>ICMP port unreachable from the server (seen as {@link PortUnreachableException} on the connected socket) is
 * counted against the server ({@link ServerCounters#FAILED_CONNECTS}) and reported for passive health as a failed
 * TCP connect is ({@link dev.niolb.backend.TargetGroup#connectFailed}: max-fails in a row take it DOWN); the
 * server's first reply on a socket ends such a run; with {@code udp-responses}, so is a flow its server never
 * answered before the idle timeout ({@link #unanswered}). If the server has not replied yet, the flow
 * moves to another server and sends again what it sent before ({@link KeptDatagrams}, until the first reply: a
 * few small datagrams), so a client whose server just died is answered by another one without noticing, as a
 * failed TCP connect is retried.
 * A flow whose server fails after it replied ends; the client's next datagram opens a new flow.
 *
 * <p>Server states: a flow whose server is DOWN (checks, passive failures, its agent) moves to another server on
 * the client's next datagram, picked by the balancer as a new flow would be; a DRAIN or MAINT server keeps its
 * flows until they end by themselves (idle, responses), as TCP sessions finish, and gets no new ones. A DRAIN
 * server's group with a drain timeout closes them after it, idlest first at the drain rate, as it closes TCP
 * sessions ({@link dev.niolb.loop.SessionDrain}: the flow is in its loop's table with its {@link #server()} and
 * {@link #lastActivityMs()}); the client's next datagram then opens a flow to another server.
 *
 * <p>Per-source limits: the receiver admitted the flow's client ({@link Admission}) before it opened the flow;
 * the flow gives that place back when it ends, to the admission that took it (a reload may have replaced it).
 */
final class UdpFlow implements IoHandler, Timeout, LoopSession, DatagramSocket.Refusals {
    private static final Logger LOG = LoggerFactory.getLogger(UdpFlow.class);
    /** Datagrams are kept for a retry only up to this size in all: DNS queries, handshakes; not bulk. */
    static final int KEEP_MAX = KeptDatagrams.MAX_BYTES;

    private final UdpReceiver receiver;
    private final UdpListener listener;
    private final EventLoop loop;
    private final InetSocketAddress client;       // the flow's key: the sender, or the source its PROXY header gave
    private final InetSocketAddress destination;  // what the client sent to: this listener, or as its header gave it
    private InetSocketAddress replyTo;            // where replies go: the sender of the client's last datagram
    private final InetAddress replyFrom;          // the local address the client wrote to, or null: see reply
    /** The next flow of the same client address at another local address ({@link FlowTable}); usually null. */
    UdpFlow nextOfClient;
    private final int clientHash;
    private final int stripe;
    private final long id;
    private final long startEpochMs;
    private final long startNanos; // loop clock
    private final long responses;
    private final Admission admission; // counted the flow against its client's source; released at the end
    private final DatagramSocket.Refusals replyRefusals = this::repliesRefused; // made once, not per reply
    private final DatagramSocket.Refusals headerRefusals = this::refusedWithHeader;

    private DatagramSocket socket;
    private Server server;
    private Server lastServer; // for the access log and the duration, after the flow has let its server go
    private TargetGroup group; // the group its server was picked from: blamed, and logged, as that server's
    private final ServerAttempts attempts;
    private long requests; // datagrams sent to servers: with responses, replies that end the flow
    private long bytesToServer; // of its bytes, those counted on the server it has now
    private long replies;
    private long bytesIn;
    private long bytesOut;
    private KeptDatagrams kept; // until the server answers, when the listener retries; else null
    private final LoopTimer timer;
    private long lastActivityMs;
    private ByteBuffer proxyHeader;              // built on first use, for servers with send-proxy-v2
    private final ByteBuffer[] withHeader = new ByteBuffer[2];
    private boolean headerSent;                  // to the current server
    private boolean serverAnswered;
    /** {@link #lastServer} never answered and no longer counts the flow as taken: no session time for it either. */
    private boolean lastServerUncounted;
    private boolean awaitingReply; // a datagram went out since the last reply: the next reply is timed
    private long sentNanos;        // loop clock of that datagram
    private boolean started;
    private boolean noSocket;                    // the last connectNext could not open a socket
    private boolean closed;

    UdpFlow(final UdpReceiver receiver, final InetSocketAddress client, final InetSocketAddress destination,
            final InetAddress replyFrom, final Admission admission) {
        this.replyFrom = replyFrom;
        this.receiver = receiver;
        this.listener = receiver.listener();
        this.loop = receiver.loop();
        this.timer = new LoopTimer(loop, this);
        this.client = client;
        this.destination = destination;
        this.replyTo = client;
        this.clientHash = ClientHash.of(client);
        this.stripe = receiver.stripe();
        this.id = loop.nextSessionId();
        this.startEpochMs = System.currentTimeMillis();
        this.startNanos = loop.nowNanos();
        this.responses = listener.options().responses();
        this.admission = admission;
        this.attempts = new ServerAttempts(listener.options().retries());
    }

    /**
     * Picks a server and connects a socket to it; joins the loop's table and arms the idle timer.
     *
     * @return false when no server could take the flow (nothing was kept open)
     */
    boolean start() {
        if (!connectNext()) {
            return false;
        }
        started = true;
        listener.counters().add(stripe, UdpListenerCounters.FLOWS, 1);
        listener.counters().add(stripe, UdpListenerCounters.ACTIVE, 1);
        loop.add(this);
        lastActivityMs = loop.nowMs();
        timer.at(lastActivityMs + listener.idleTimeoutMs());
        return true;
    }

    @Override
    public long id() {
        return id;
    }

    /**
     * After a {@link #start} that found no server, the field that counts its first datagram as dropped: no
     * socket could be opened, every server that could take it was at its maxconn (a capacity limit, as TCP tells
     * full from no_server), or no server could take it.
     */
    int refusal() {
        return noSocket ? UdpListenerCounters.DROPPED_NO_SOCKET
            : attempts.giveUp() == Termination.FULL ? UdpListenerCounters.DROPPED_FULL
            : UdpListenerCounters.DROPPED_NO_SERVER;
    }

    /** The local address the client wrote to, as a wildcard-bound listener learns it; null when not known. */
    InetAddress replyFrom() {
        return replyFrom;
    }

    /** When a datagram last went either way, on the loop clock: a paced drain closes the idlest flows first. */
    @Override
    public long lastActivityMs() {
        return lastActivityMs;
    }

    /** The server the flow sends to now; null between two servers and once the flow has ended. */
    @Override
    public Server server() {
        return server;
    }

    /** Opens a socket connected to the next server the balancer picks; false when there is none left to try. */
    private boolean connectNext() {
        noSocket = false;
        while (true) {
            final GroupBalancer balancer = receiver.balancer(); // the listener's group now: a reload may move it
            final Server next = attempts.next(balancer, clientHash);
            if (next == null) {
                return false;
            }
            final DatagramSocket opened;
            try {
                opened = listener.transport().openDatagram(next.address());
            } catch (final IOException e) {
                // out of descriptors or similar: our problem, not the server's, so no server is blamed
                attempts.release();
                noSocket = true;
                if (listener.warnDue(loop.nowMs())) {
                    listener.warnNow("cannot open a socket to a server: " + e.getMessage()
                        + " (raise the open-file limit, ulimit -n, or lower udp-max-flows)");
                }
                return false;
            }
            try {
                opened.connect(next.address());
                opened.onRefused(this);
                opened.register(loop, Ready.READ, this);
            } catch (final IOException e) {
                opened.close();
                attempts.release();
                next.counters().add(stripe, ServerCounters.FAILED_CONNECTS, 1);
                if (listener.warnDue(loop.nowMs())) {
                    listener.warnNow("cannot connect a socket to server " + next + ": " + e.getMessage());
                }
                continue;
            }
            socket = opened;
            server = next;
            lastServer = next;
            lastServerUncounted = false;
            group = balancer.group();
            serverAnswered = false;
            headerSent = false;
            bytesToServer = 0;
            next.counters().add(stripe, ServerCounters.ACTIVE, 1);
            next.counters().add(stripe, ServerCounters.TOTAL, 1);
            return true;
        }
    }

    // ------------------------------------------------------------------------------------- client -> server

    /**
     * A datagram from the client, in the receiver's buffer (read mode); sends it to the server, or first moves
     * the flow to another server when its server is DOWN. When no other server takes it, the flow ends and the
     * datagram is dropped and counted.
     *
     * @param sender where it came from: the client, or the proxy that put a PROXY header in front of it; replies
     *               go there
     */
    void fromClient(final ByteBuffer datagram, final InetSocketAddress sender) {
        replyTo = sender;
        lastActivityMs = loop.nowMs();
        // one volatile read per datagram, no lock: DOWN moves the flow; DRAIN and MAINT keep it until it ends. In a
        // group in panic a DOWN server keeps its weight and its flows: moving would only land on another DOWN one
        if (server.state() == ServerState.DOWN && server.effectiveWeight() == 0 && !moveFromDown(datagram)) {
            return;
        }
        if (kept == null && !serverAnswered && listener.options().retries() > 0) {
            kept = new KeptDatagrams();
        }
        send(datagram);
    }

    /**
     * Closes the socket to a server that went DOWN and connects to one the balancer picks instead (never the DOWN
     * one): the client's datagrams go on, to a live server, without the client noticing. What the DOWN server was
     * sent and never answered ({@link KeptDatagrams}) goes to the new server first only when the kernel holds a port
     * unreachable for it not read yet (the ICMP raced the DOWN): then it never got there, as after a port unreachable
     * read in time, and was dropped uncounted before (black-box testing, session 31). Otherwise it may well have
     * been taken (a server whose check failed while its UDP port works, or a client's retry of a query that is what
     * moves the flow) and would be taken twice: each DNS query was answered twice, a statsd counter would count
     * twice (black-box testing of that fix, session 31). Rare, so it may log and allocate.
     *
     * @param pending the client's datagram in hand, which goes after what was kept
     * @return true when {@code pending} is the caller's to send now; false when the flow ended (no other server)
     *         or the new server refused too and the flow took {@code pending} on with it
     */
    private boolean moveFromDown(final ByteBuffer pending) {
        final Server down = server;
        if (kept != null && kept.count() > 0 && !socket.refusedAlready()) {
            kept.clear(); // sent, and perhaps taken: not sent again
        }
        final int again = kept == null ? 0 : kept.count();
        for (int i = 0; i < again; i++) {
            if (kept.counted(i)) {
                toServer(-kept.size(i)); // it goes to the next server and is counted there, or is dropped
            }
        }
        // those sent after what was kept cannot go again: lost with the DOWN server, and not sent
        final int lost = kept == null ? 0 : kept.unkept();
        final long lostBytes = kept == null ? 0 : kept.unkeptBytes();
        if (lost > 0) {
            toServer(-lostBytes);
            uncounted(lost, lostBytes);
        }
        dropServer();
        attempts.restartAvoiding(down);
        if (!connectNext()) {
            if (listener.warnDue(loop.nowMs())) {
                listener.warnNow("server " + down + " is DOWN; no other server for "
                    + Endpoint.hostPort(client));
            }
            int dropped = lost + 1; // and the datagram in hand
            for (int i = 0; i < again; i++) {
                if (kept.counted(i)) {
                    uncounted(1, kept.size(i));
                    dropped++;
                }
            }
            listener.counters().add(stripe, refusal(), dropped);
            close(Termination.NO_SERVER);
            return false;
        }
        listener.counters().add(stripe, UdpListenerCounters.MOVED, 1);
        listener.counters().add(stripe, UdpListenerCounters.DROPPED_NOT_RESENT, lost);
        if (LOG.isDebugEnabled()) {
            LOG.debug("flow {} {}: server {} is DOWN, moved to {}{}", Long.toHexString(id), client, down, server,
                again > 0 ? " with the " + again + " datagram(s) it refused" : "");
        }
        return again == 0 || resendKept(again, pending);
    }

    /** What {@link #write} did with a datagram. */
    private static final int SENT = 0;
    private static final int DROPPED = 1;     // and counted as dropped
    private static final int UNREACHABLE = 2; // not sent: an earlier datagram drew ICMP port unreachable

    /** Sends a client's datagram to the server and counts it; keeps it while the server has not answered. */
    private void send(final ByteBuffer datagram) {
        final int position = datagram.position();
        final int size = datagram.remaining();
        final int result = write(datagram);
        if (result == UNREACHABLE) {
            serverUnreachable(datagram.position(position));
            return;
        }
        if (result == DROPPED) {
            return;
        }
        if (kept != null) {
            kept.sent(datagram, position, size);
        }
        counted(size);
        if (!awaitingReply) {
            awaitingReply = true;
            sentNanos = loop.nowNanos();
        }
        toServer(size);
    }

    /** Counts bytes as gone to the server now (negative: not after all), on it and as this flow's share of it. */
    private void toServer(final long bytes) {
        server.counters().add(stripe, ServerCounters.BYTES_TO_SERVER, bytes);
        bytesToServer += bytes;
    }

    /** A datagram of {@code size} from the client is counted as sent to the servers (once, whichever took it). */
    private void counted(final int size) {
        requests++;
        bytesIn += size;
        listener.counters().add(stripe, UdpListenerCounters.DATAGRAMS_IN, 1);
        listener.counters().add(stripe, UdpListenerCounters.BYTES_IN, size);
    }

    /** As {@link #counted}, undone: the datagram did not go after all. */
    private void uncounted(final int datagrams, final long bytes) {
        requests -= datagrams;
        bytesIn -= bytes;
        listener.counters().add(stripe, UdpListenerCounters.DATAGRAMS_IN, -datagrams);
        listener.counters().add(stripe, UdpListenerCounters.BYTES_IN, -bytes);
    }

    /** Writes one datagram to the server, with a PROXY header when the server wants one; counts a drop. */
    private int write(final ByteBuffer datagram) {
        final int size = datagram.remaining();
        try {
            final SendProxy proxy = server.sendProxy();
            final boolean header = proxy.version() == SendProxy.Version.V2
                && (proxy.udp() == SendProxy.UdpMode.EVERY || !headerSent);
            if (header && proxyHeader == null) {
                proxyHeader = ProxyHeaderEncoder.v2(client, destination, ProxyHeader.Transport.DGRAM);
            }
            final int total = size + (header ? proxyHeader.limit() : 0);
            if (total > largestPayload(server.address())) {
                // with its PROXY header, or from an IPv6 client to an IPv4 server: the kernel would refuse it
                listener.counters().add(stripe, UdpListenerCounters.DROPPED_TOO_LARGE, 1);
                if (listener.warnDue(loop.nowMs())) {
                    listener.warnNow("dropped a datagram of " + size + " bytes from " + Endpoint.hostPort(client)
                        + ": "
                        + (header ? "with its PROXY header (" + proxyHeader.limit() + " bytes) it" : "it")
                        + " is larger than a UDP datagram to " + server + " can be (" + largestPayload(server.address())
                        + " bytes)");
                }
                return DROPPED;
            }
            if (header) {
                if (!sendWithHeader(datagram, size)) {
                    listener.counters().add(stripe, UdpListenerCounters.DROPPED_SEND, 1);
                    return DROPPED;
                }
            } else if (size == 0 && !listener.transport().sendsEmptyDatagrams()) {
                listener.counters().add(stripe, UdpListenerCounters.DROPPED_EMPTY, 1); // see DROPPED_EMPTY
                return DROPPED;
            } else if (socket.write(datagram) != size) {
                listener.counters().add(stripe, UdpListenerCounters.DROPPED_SEND, 1); // send buffer full
                return DROPPED;
            }
        } catch (final PortUnreachableException e) {
            return UNREACHABLE;
        } catch (final IOException e) {
            listener.counters().add(stripe, UdpListenerCounters.DROPPED_SEND, 1);
            if (listener.warnDue(loop.nowMs())) {
                listener.warnNow("send to server " + server + " failed: " + e.getMessage());
            }
            return DROPPED;
        }
        return SENT;
    }

    /** The largest UDP payload to {@code server}: 65,535 less the UDP header, less IPv4's 20-byte header. */
    private static int largestPayload(final InetSocketAddress server) {
        return server.getAddress() instanceof Inet4Address ? 65_507 : 65_527;
    }

    /**
     * One datagram of the PROXY v2 header and the client's bytes, gathered from both buffers (a connected datagram
     * socket sends a gathering write as one datagram): the payload is not copied. False when the send buffer was
     * full ({@link #write} has dropped a datagram that would not fit the largest UDP payload with the header).
     */
    private boolean sendWithHeader(final ByteBuffer datagram, final int size) throws IOException {
        proxyHeader.position(0);
        withHeader[0] = proxyHeader;
        withHeader[1] = datagram;
        final long sent = socket.write(withHeader, headerRefusals);
        withHeader[1] = null;
        if (sent != proxyHeader.limit() + size) {
            return false;
        }
        headerSent = true;
        return true;
    }

    /**
     * Datagrams {@link #send} counted as sent to the server that a batching transport could not send after all
     * (the send buffer full, or the server's port unreachable: then the socket's next receive reports it and
     * {@link #serverUnreachable} follows). They become drops, so that sent and dropped still add up.
     */
    @Override
    public void refused(final int datagrams, final long bytes) {
        listener.counters().add(stripe, UdpListenerCounters.DROPPED_SEND, datagrams);
        uncounted(datagrams, bytes);
        if (kept != null) {
            kept.uncountLast(datagrams, bytes);
        }
        if (server != null) {
            toServer(-bytes);
        }
    }

    /**
     * As {@link #refused}, for a datagram that carried a PROXY header: the header's bytes were never counted, and
     * the server did not get it, so the next datagram carries one. (A refusal that drops the datagrams after it
     * too, as a full buffer or port unreachable does, drops those that went without a header; one that drops this
     * datagram alone lets them go, without: {@code EMSGSIZE}, the one such refusal a flow causes, is refused by
     * the transport at the write instead.)
     */
    private void refusedWithHeader(final int datagrams, final long bytes) {
        headerSent = false;
        refused(datagrams, bytes - (long) datagrams * proxyHeader.limit());
    }

    // ------------------------------------------------------------------------------------- server -> client

    @Override
    public void onReady(final int readyOps) {
        final ByteBuffer buffer = receiver.buffer();
        for (int i = 0; i < UdpReceiver.DATAGRAMS_PER_WAKEUP && !closed; i++) {
            buffer.clear();
            try {
                // receive, not read: read cannot tell an empty datagram from none. The sender is always the
                // server, so the JDK hands back its cached address object: no allocation
                if (socket.receive(buffer) == null) {
                    return;
                }
            } catch (final PortUnreachableException e) {
                serverUnreachable(null);
                return;
            } catch (final IOException e) {
                if (listener.warnDue(loop.nowMs())) {
                    listener.warnNow("receive from server " + server + " failed: " + e.getMessage());
                }
                close(Termination.SERVER_RESET);
                return;
            }
            if (!buffer.hasRemaining()) {
                listener.counters().add(stripe, UdpListenerCounters.DROPPED_TOO_LARGE, 1);
                continue;
            }
            buffer.flip();
            final int size = buffer.remaining();
            lastActivityMs = loop.nowMs();
            replies++;
            if (!serverAnswered) {
                serverAnswered = true;
                server.answered(); // ends a run of passive failures, as a connect that succeeds does for TCP
            }
            kept = null; // the server answers: no retry any more, and nothing kept from now on
            if (awaitingReply) {
                awaitingReply = false;
                server.counters().replyTimes().record(stripe, loop.nowNanos() - sentNanos);
            }
            server.counters().add(stripe, ServerCounters.BYTES_FROM_SERVER, size);
            if (size > largestPayload(replyTo)) {
                // an IPv6 server's reply to an IPv4 client: counted and said as the other way round is, not as a
                // failed send with no word (black-box testing, session 29)
                listener.counters().add(stripe, UdpListenerCounters.DROPPED_TOO_LARGE, 1);
                if (listener.warnDue(loop.nowMs())) {
                    listener.warnNow("dropped a reply of " + size + " bytes from server " + server + ": it is "
                        + "larger than a UDP datagram to " + Endpoint.hostPort(replyTo) + " can be ("
                        + largestPayload(replyTo) + " bytes)");
                }
            } else if (receiver.reply(buffer, replyTo, replyFrom, replyRefusals)) {
                bytesOut += size; // to the client: a reply dropped here is not in the flow's bytes out
                listener.counters().add(stripe, UdpListenerCounters.DATAGRAMS_OUT, 1);
                listener.counters().add(stripe, UdpListenerCounters.BYTES_OUT, size);
            } else {
                listener.counters().add(stripe, UdpListenerCounters.DROPPED_SEND, 1);
            }
            if (responses > 0 && replies >= responses * requests) {
                close(Termination.RESPONSES);
                return;
            }
        }
    }

    /**
     * Replies counted as sent that a batching transport could not send after all (the listener's send buffer full
     * when the loop sent its batch): they become drops, so that sent and dropped still add up, and leave the
     * flow's bytes out (its access-log line waits for them: see {@link #close}).
     */
    private void repliesRefused(final int datagrams, final long bytes) {
        bytesOut -= bytes;
        listener.counters().add(stripe, UdpListenerCounters.DROPPED_SEND, datagrams);
        listener.counters().add(stripe, UdpListenerCounters.DATAGRAMS_OUT, -datagrams);
        listener.counters().add(stripe, UdpListenerCounters.BYTES_OUT, -bytes);
    }

    /**
     * The server answered ICMP port unreachable. Blames it; then, if it never replied, moves to another server and
     * sends there what it was sent ({@link KeptDatagrams}) and {@code pending} (a datagram not sent yet, or null);
     * else ({@code pending} aside) ends the flow.
     */
    private void serverUnreachable(final ByteBuffer pending) {
        final Server failed = server;
        failed.counters().add(stripe, ServerCounters.FAILED_CONNECTS, 1);
        listener.counters().add(stripe, UdpListenerCounters.SERVER_UNREACHABLE, 1);
        // passive health, as a refused TCP connect: lock-free; at max-fails in a row the health loop takes it DOWN
        group.connectFailed(failed, "port unreachable", true);
        final int again = kept == null ? 0 : kept.count();
        // what it was sent and kept never reached a server that took it: it goes to the next one and is counted
        // there, or is dropped; either way not on this one (session 21: counted on both)
        for (int i = 0; i < again; i++) {
            if (kept.counted(i)) {
                toServer(-kept.size(i)); // server is still the failed one
            }
        }
        if (again == 0 && pending == null) {
            final int tooLarge = kept == null ? 0 : kept.tooLarge();
            if (listener.warnDue(loop.nowMs())) {
                listener.warnNow("server " + failed + " answered port unreachable; ending the flow of "
                    + Endpoint.hostPort(client)
                    + (tooLarge > 0 ? " (its datagram of " + tooLarge + " bytes was too large to keep for a retry: at"
                        + " most " + KEEP_MAX + " bytes in all)" : ""));
            }
            uncountIfNeverAnswered(failed);
            if (serverAnswered) {
                close(Termination.SERVER_RESET);
            } else {
                // no server ever took the flow (retries 0, or nothing it could resend): as when every retry failed,
                // a connect failure, and what it sent dropped, not sent: on the server too (black-box testing,
                // session 26: a datagram too large to keep stayed in the server's bytes, not the listener's)
                listener.counters().add(stripe, UdpListenerCounters.DROPPED_CONNECT_FAILURE, requests);
                uncounted((int) requests, bytesIn);
                toServer(-bytesToServer);
                close(Termination.CONNECT_FAILURE);
            }
            return;
        }
        // those sent after what was kept cannot go again: lost with the failed server, and not sent (black-box
        // testing, session 26: they stayed counted as sent, on the listener and on that server)
        final int lost = kept == null ? 0 : kept.unkept();
        final long lostBytes = kept == null ? 0 : kept.unkeptBytes();
        if (lost > 0) {
            toServer(-lostBytes);
            uncounted(lost, lostBytes);
        }
        dropServer();
        if (!connectNext()) {
            if (listener.warnDue(loop.nowMs())) {
                listener.warnNow("server " + failed + " answered port unreachable; no other server for "
                    + Endpoint.hostPort(client));
            }
            // what went to the failed server is dropped, not sent: sent and dropped still add up
            for (int i = 0; i < again; i++) {
                if (kept.counted(i)) {
                    uncounted(1, kept.size(i));
                    listener.counters().add(stripe, UdpListenerCounters.DROPPED_CONNECT_FAILURE, 1);
                }
            }
            listener.counters().add(stripe, UdpListenerCounters.DROPPED_CONNECT_FAILURE, lost);
            if (pending != null) {
                listener.counters().add(stripe, UdpListenerCounters.DROPPED_CONNECT_FAILURE, 1);
            }
            close(Termination.CONNECT_FAILURE);
            return;
        }
        listener.counters().add(stripe, UdpListenerCounters.DROPPED_NOT_RESENT, lost);
        // a move, as one off a DOWN server is: the log said "moved to" while flows_moved stayed 0 (black-box
        // testing, session 27)
        listener.counters().add(stripe, UdpListenerCounters.MOVED, 1);
        if (listener.warnDue(loop.nowMs())) {
            listener.warnNow("server " + failed + " answered port unreachable; " + Endpoint.hostPort(client)
                + " moved to " + server + (lost > 0 ? " (" + lost + " datagram" + (lost == 1 ? "" : "s")
                + " it sent after the first " + KEEP_MAX + " bytes or " + KeptDatagrams.MAX_DATAGRAMS
                + " datagrams were lost with it)" : ""));
        }
        if (again > 0 && !resendKept(again, pending)) {
            return; // the next server refused too: the flow moved on with pending, or ended
        }
        if (pending != null) {
            send(pending);
        }
    }

    /**
     * Sends the kept datagrams to the server the flow just moved to: a datagram counted before goes uncounted,
     * one a transport refused (no longer counted) is counted now. False when this server is unreachable too
     * (handled: the flow moved on, or ended).
     */
    private boolean resendKept(final int again, final ByteBuffer pending) {
        kept.resent();
        for (int i = 0; i < again; i++) {
            final ByteBuffer datagram = kept.datagram(i); // a rare path: a view per datagram is fine
            final int size = datagram.remaining();
            final int result = write(datagram);
            if (result == UNREACHABLE) {
                serverUnreachable(pending); // pending still waits to go, after what was kept
                return false;
            }
            if (result == DROPPED && kept.counted(i)) {
                kept.markUncounted(i); // counted as sent before, dropped now (write counted the drop)
                uncounted(1, size);
            }
            if (result == SENT) {
                toServer(size);
                if (!kept.counted(i)) {
                    kept.markCounted(i);
                    counted(size);
                    listener.counters().add(stripe, UdpListenerCounters.DROPPED_SEND, -1); // sent after all
                }
            }
        }
        if (!awaitingReply) {
            awaitingReply = true;
            sentNanos = loop.nowNanos();
        }
        return true;
    }

    /**
     * A server that never answered this flow did not take it, as a TCP connect that failed is no session:
     * connections_total counts the taken ones. For a flow that leaves it unanswered (moves on, or ends for it).
     */
    private void uncountIfNeverAnswered(final Server left) {
        if (!serverAnswered) {
            left.counters().add(stripe, ServerCounters.TOTAL, -1);
            lastServerUncounted = left == lastServer;
        }
    }

    private void dropServer() {
        dropServer(true);
    }

    /**
     * @param askDrops whether to ask the socket what the kernel dropped on it: not when the flow had every reply it
     *                 waits for (udp-responses), whose later ones nobody wanted, so that a DNS flow of one query
     *                 pays no extra syscall
     */
    private void dropServer(final boolean askDrops) {
        awaitingReply = false; // a reply from the next server is not an answer to what this one was sent
        final long replyDrops = askDrops ? socket.receiveDrops() : 0;
        if (replyDrops > 0) {
            listener.counters().add(stripe, UdpListenerCounters.DROPPED_KERNEL_REPLIES, replyDrops);
        }
        socket.close();
        socket = null;
        server.counters().add(stripe, ServerCounters.ACTIVE, -1);
        if (!closed) {
            uncountIfNeverAnswered(server); // the flow moves on from it (port unreachable, or DOWN)
        }
        attempts.release();
        server = null;
    }

    // ----------------------------------------------------------------------------------------------- timers

    /**
     * How long a flow of a stopping niolb stays open without a datagram either way: a flow has no end of its own,
     * and at a hand-over its client's next datagrams go to the successor, so it only waits for its server's late
     * replies. A second covers a request's answer on any network a UDP proxy fronts; the idle timeout (30 s by
     * default) held a stop for it.
     */
    static final long STOPPING_QUIET_MS = 1000;

    /** niolb stops: the flow ends once quiet for a short while. Loop thread. */
    void stopping() {
        if (!closed) {
            timer.at(lastActivityMs + idleTimeoutMs());
        }
    }

    /**
     * How long a flow of a stopping niolb that waits for a reply (a datagram went out since the last one) stays
     * open, where udp-responses does not say replies come: a one-way flow (syslog) must not hold a stop for its idle
     * timeout, and a request's answer comes within seconds. With udp-responses, the whole idle timeout (the grace
     * bounds it): a query in flight at a stop was cut after a second and its answer lost (black-box testing,
     * session 33).
     */
    static final long STOPPING_AWAIT_MS = 5000;

    private long idleTimeoutMs() {
        final long idle = listener.idleTimeoutMs();
        if (!receiver.stopping()) {
            return idle;
        }
        return !awaitingReply ? Math.min(idle, STOPPING_QUIET_MS)
            : responses > 0 ? idle : Math.min(idle, STOPPING_AWAIT_MS);
    }

    @Override
    public void onTimeout(final long nowMs) {
        if (closed) {
            return;
        }
        final long idleUntil = lastActivityMs + idleTimeoutMs();
        if (nowMs >= idleUntil) {
            // ended sooner than its idle timeout because niolb stops: a shutdown, as a TCP session the grace ends
            final boolean stopped = nowMs < lastActivityMs + listener.idleTimeoutMs();
            if (!stopped && responses > 0 && awaitingReply && !serverAnswered && server != null) {
                unanswered();
            }
            close(stopped ? Termination.SHUTDOWN : Termination.IDLE_TIMEOUT);
        } else {
            timer.at(idleUntil); // datagrams since it was armed: check again then
        }
    }

    /**
     * The flow's server never answered, where udp-responses says replies come: a failure for passive health, as
     * nginx counts a UDP upstream that timed out against its {@code max_fails}. Only port unreachable counted, so a
     * server that went silent (hung, blackholed, a process stopped) kept its clients, which timed out on every try
     * (black-box testing, session 35). Without udp-responses silence is no failure: one-way flows (syslog) get none.
     */
    private void unanswered() {
        server.counters().add(stripe, ServerCounters.FAILED_CONNECTS, 1); // what the DOWN line's count counts
        group.connectFailed(server, "no reply within the udp-idle-timeout of "
            + Durations.format(java.time.Duration.ofMillis(listener.idleTimeoutMs())) + " (udp-responses "
            + responses + ")", true);
    }

    // ------------------------------------------------------------------------------------------------ close

    /**
     * Right after the datagram that opened the flow: when it did not go (too large for the server picked, with a
     * PROXY header or from an IPv6 client to an IPv4 server, or refused at the send), the flow is undone as if it
     * had never opened: no flow counted on the listener or the server, no socket, no place in its source's count,
     * no access-log line. The datagram's drop is counted already. Before, such a datagram held all of those until
     * the idle timeout (black-box testing, session 26: oversize datagrams used up a source's source-maxconn).
     * Loop thread.
     *
     * @return whether the flow was undone
     */
    boolean undoIfNothingWent() {
        if (closed || requests > 0) {
            return false;
        }
        final Server picked = server;
        stop(false);
        if (picked != null) {
            picked.counters().add(stripe, ServerCounters.TOTAL, -1); // stop leaves a closed flow's total as it is
        }
        listener.counters().add(stripe, UdpListenerCounters.FLOWS, -1);
        listener.counters().add(stripe, UdpListenerCounters.ACTIVE, -1);
        admission.release(client.getAddress());
        leave();
        return true;
    }

    /** Marks the flow closed, its timer and kept datagrams gone, and lets go of its server. */
    private void stop(final boolean askDrops) {
        closed = true;
        timer.cancel();
        kept = null;
        if (server != null) {
            dropServer(askDrops);
        }
    }

    /** Out of the receiver's table and the loop's sessions. */
    private void leave() {
        receiver.flowEnded(client, this);
        loop.remove(this);
    }

    @Override
    public void onFailure(final Throwable failure) {
        close(Termination.INTERNAL_ERROR);
    }

    @Override
    public void close(final Termination reason) {
        if (closed) {
            return;
        }
        stop(reason != Termination.RESPONSES);
        if (!started) {
            return; // never joined the table or the counters
        }
        final long durationNanos = System.nanoTime() - startNanos; // not the wake-up's clock: as a TCP session's
        if (lastServer != null && !lastServerUncounted) { // as a TCP connect that failed is no session
            lastServer.counters().sessionTimes().record(stripe, durationNanos);
        }
        listener.counters().ended(stripe, reason, durationNanos);
        admission.release(client.getAddress());
        if (listener.accessLog().enabled() || LOG.isDebugEnabled()) {
            // its last replies may still wait in the listener's batch: the line counts only what the kernel took.
            // Asked before the receiver may close its socket (a retiring listener's last flow), which sends them
            receiver.whenRepliesSent(() -> logClosed(reason, durationNanos));
        }
        leave();
    }

    private void logClosed(final Termination reason, final long durationNanos) {
        final AccessLog accessLog = listener.accessLog();
        if (accessLog.enabled()) {
            accessLog.offer(stripe, new AccessRecord(startEpochMs, Protocol.UDP, client, listener.name(),
                (group == null ? listener.group() : group).name(), lastServer == null ? null : lastServer.name(), -1,
                Math.max(0, durationNanos) / 1000, bytesIn, bytesOut, Math.max(0, attempts.attempts() - 1), reason));
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("flow {} {} closed: {} ({} datagrams in, {} replies; {} B in, {} B out)", Long.toHexString(id),
                client, reason, requests, replies, bytesIn, bytesOut);
        }
    }

    @Override
    public SessionInfo info() {
        return new SessionInfo(id, listener.name(), client, server == null ? null : server.group(),
            server == null ? null : server.name(), startEpochMs,
            bytesIn, bytesOut, closed ? "closed" : "flow");
    }
}
