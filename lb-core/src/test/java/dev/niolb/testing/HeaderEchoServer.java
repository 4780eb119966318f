package dev.niolb.testing;

import dev.niolb.config.Endpoint;
import dev.niolb.proxyprotocol.DecodeResult;
import dev.niolb.proxyprotocol.ProxyHeader;
import dev.niolb.proxyprotocol.ProxyHeaderDecoder;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A server that expects what a {@code send-proxy} server expects: it reads a PROXY protocol header (v1 or v2) with
 * niolb's decoder, answers one line saying what it got, then echoes the rest of the stream. The line is
 * {@code proxied SRC DST v1|v2}, {@code local}, {@code unknown}, or {@code no header} (then the bytes that were
 * not a header are echoed too), so a test reads exactly what the server was told.
 */
public final class HeaderEchoServer implements AutoCloseable {
    private final ServerSocket socket;
    private final Thread acceptor;
    private final AtomicInteger accepted = new AtomicInteger();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    public HeaderEchoServer() throws IOException {
        this(new InetSocketAddress("127.0.0.1", 0));
    }

    public HeaderEchoServer(final InetSocketAddress bind) throws IOException {
        socket = new ServerSocket();
        socket.bind(bind, 128);
        acceptor = Thread.ofVirtual().start(this::acceptLoop);
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    public int accepted() {
        return accepted.get();
    }

    /** The line this server answers for a v1 or v2 header of {@code source} to {@code destination}. */
    public static String line(final InetSocketAddress source, final InetSocketAddress destination, final int version) {
        return "proxied " + Endpoint.hostPort(source) + " " + Endpoint.hostPort(destination) + " v" + version;
    }

    private void acceptLoop() {
        while (!socket.isClosed()) {
            try {
                final Socket s = socket.accept();
                accepted.incrementAndGet();
                open.add(s);
                Thread.ofVirtual().start(() -> serve(s));
            } catch (final IOException e) {
                return;
            }
        }
    }

    private void serve(final Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            final InputStream in = s.getInputStream();
            final OutputStream out = s.getOutputStream();
            final ByteBuffer head = ByteBuffer.allocate(ProxyHeaderDecoder.V2_MAX_LENGTH);
            DecodeResult result = DecodeResult.NEED_MORE;
            while (result == DecodeResult.NEED_MORE) {
                final int b = in.read();
                if (b < 0) {
                    return;
                }
                head.put((byte) b);
                result = ProxyHeaderDecoder.decode(head.duplicate().flip(), ProxyHeaderDecoder.V2_MAX_LENGTH);
            }
            final String what = switch (result) {
                case DecodeResult.Decoded d -> switch (d.header()) {
                    case ProxyHeader.Proxied p -> line(p.source(), p.destination(), head.get(0) == 'P' ? 1 : 2);
                    case ProxyHeader.Local l -> "local";
                    case ProxyHeader.Unknown u -> "unknown";
                };
                default -> "no header";
            };
            out.write((what + "\n").getBytes(StandardCharsets.US_ASCII));
            if (!(result instanceof DecodeResult.Decoded)) {
                out.write(head.array(), 0, head.position());
            }
            out.flush();
            final byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
            }
            s.shutdownOutput();
        } catch (final IOException ignored) {
            // the client went away
        } finally {
            open.remove(s);
        }
    }

    @Override
    public void close() throws IOException {
        Acceptors.closeAndAwait(socket, acceptor); // refused from now on, not accepted and then reset
        for (final Socket s : open) {
            s.close();
        }
    }
}
