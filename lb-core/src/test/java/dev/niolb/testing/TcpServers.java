package dev.niolb.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Peers that misbehave in the ways real servers do, for tests. */
public final class TcpServers {
    private TcpServers() {
    }

    /** A loopback address where nothing listens: connects are refused at once. */
    public static InetSocketAddress refusingAddress() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return (InetSocketAddress) s.getLocalSocketAddress();
        }
    }

    /**
     * A listening socket that never accepts, its accept queue filled: connects to it hang in SYN_SENT (the
     * kernel drops SYNs for a full queue), as with a server that is a black hole for connects.
     */
    public static final class BlackHole implements AutoCloseable {
        private final ServerSocket socket;
        private final List<Socket> fillers = new ArrayList<>();

        public BlackHole() throws IOException {
            socket = new ServerSocket();
            socket.bind(new InetSocketAddress("127.0.0.1", 0), 1);
            // Linux accepts backlog+1 connections into the queue; a few more make sure it is full
            for (int i = 0; i < 4; i++) {
                final Socket filler = new Socket();
                try {
                    filler.connect(socket.getLocalSocketAddress(), 200);
                    fillers.add(filler);
                } catch (final IOException e) {
                    filler.close(); // queue full: exactly what we wanted
                    break;
                }
            }
        }

        public InetSocketAddress address() {
            return (InetSocketAddress) socket.getLocalSocketAddress();
        }

        @Override
        public void close() throws IOException {
            for (final Socket s : fillers) {
                s.close();
            }
            socket.close();
        }
    }

    /** A server that runs {@code behaviour} on each accepted socket in a virtual thread, then closes it. */
    public static final class Scripted implements AutoCloseable {
        private final ServerSocket socket;

        public Scripted(final Consumer<Socket> behaviour) throws IOException {
            socket = new ServerSocket();
            socket.bind(new InetSocketAddress("127.0.0.1", 0), 128);
            Thread.ofVirtual().start(() -> {
                while (!socket.isClosed()) {
                    try {
                        final Socket s = socket.accept();
                        Thread.ofVirtual().start(() -> {
                            try (s) {
                                behaviour.accept(s);
                            } catch (final IOException | RuntimeException ignored) {
                                // the behaviour decides how the connection ends
                            }
                        });
                    } catch (final IOException e) {
                        return;
                    }
                }
            });
        }

        public InetSocketAddress address() {
            return (InetSocketAddress) socket.getLocalSocketAddress();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** Reads until end of stream or {@code limit} bytes. */
    public static byte[] readAll(final InputStream in, final int limit) throws IOException {
        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        final byte[] buf = new byte[64 * 1024];
        int n;
        while (out.size() < limit && (n = in.read(buf, 0, Math.min(buf.length, limit - out.size()))) >= 0) {
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    /** Writes {@code data} in chunks. */
    public static void writeAll(final OutputStream out, final byte[] data, final int chunk) throws IOException {
        for (int off = 0; off < data.length; off += chunk) {
            out.write(data, off, Math.min(chunk, data.length - off));
        }
        out.flush();
    }
}
