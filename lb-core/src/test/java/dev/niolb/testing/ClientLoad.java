package dev.niolb.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Continuous client load through a proxy in front of greeting {@link EchoServer}s, for tests that change the
 * proxy while clients use it: client threads each open short sessions in a loop (read the greeting, echo a
 * line, close), and long transfers send a few MiB of random bytes each and check the echo by SHA-256.
 * Every failure a client would see is recorded with what happened.
 *
 * <p>Threading: started and stopped by the test thread; the clients are platform threads of their own.
 */
public final class ClientLoad implements AutoCloseable {
    private final Supplier<InetSocketAddress> target;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicInteger sessions = new AtomicInteger();
    private final Map<String, AtomicInteger> servedBy = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final AtomicInteger transfersDone = new AtomicInteger();

    /** @param target where clients connect, read at every connect (a test may move it) */
    public ClientLoad(final Supplier<InetSocketAddress> target) {
        this.target = target;
    }

    /**
     * Starts {@code clients} threads of short sessions, client {@code i} from source address 127.0.0.{2+i%8}
     * so that source hashing sees several clients.
     */
    public ClientLoad shortSessions(final int clients) {
        for (int i = 0; i < clients; i++) {
            final String source = "127.0.0." + (2 + i % 8);
            final Thread t = Thread.ofPlatform().name("short-client-" + i).daemon().start(() -> {
                while (running.get()) {
                    try {
                        final String server = oneShortSession(source);
                        sessions.incrementAndGet();
                        servedBy.computeIfAbsent(server, k -> new AtomicInteger()).incrementAndGet();
                    } catch (final IOException | RuntimeException e) {
                        if (running.get()) {
                            failures.add("short session: " + e);
                        }
                    }
                }
            });
            threads.add(t);
        }
        return this;
    }

    /** Starts {@code count} long transfers of {@code bytes} each, sent in 16 KiB writes, checked by SHA-256. */
    public ClientLoad longTransfers(final int count, final int bytes) {
        for (int i = 0; i < count; i++) {
            final long seed = i;
            final Thread t = Thread.ofPlatform().name("long-transfer-" + i).daemon().start(() -> {
                try {
                    longTransfer(bytes, seed);
                    transfersDone.incrementAndGet();
                } catch (final IOException | RuntimeException e) {
                    failures.add("long transfer " + seed + ": " + e);
                }
            });
            threads.add(t);
        }
        return this;
    }

    private String oneShortSession(final String source) throws IOException {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(source, 0));
            s.connect(target.get(), 2000);
            s.setSoTimeout(5000);
            final BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            final String greeting = in.readLine();
            if (greeting == null) {
                // where and when, to find the session in niolb's log and counters
                throw new IOException("closed before the greeting (client " + s.getLocalSocketAddress() + " at "
                    + java.time.LocalTime.now() + ")");
            }
            s.getOutputStream().write("ping\n".getBytes(StandardCharsets.UTF_8));
            final String echo = in.readLine();
            if (!"ping".equals(echo)) {
                throw new IOException("echo was '" + echo + "' from " + greeting);
            }
            return greeting;
        }
    }

    private void longTransfer(final int bytes, final long seed) throws IOException {
        final byte[] data = new byte[bytes];
        new SplittableRandom(seed).nextBytes(data);
        try (Socket s = new Socket()) {
            s.connect(target.get(), 2000);
            s.setSoTimeout(15_000);
            final InputStream in = s.getInputStream();
            final OutputStream out = s.getOutputStream();
            int n;
            final StringBuilder greeting = new StringBuilder();
            while ((n = in.read()) != '\n') {
                if (n < 0) {
                    throw new IOException("closed before the greeting");
                }
                greeting.append((char) n);
            }
            final Thread writer = Thread.ofPlatform().daemon().start(() -> {
                try {
                    // paced a little, so that the transfer spans the changes a test makes meanwhile
                    for (int off = 0; off < data.length; off += 16 * 1024) {
                        out.write(data, off, Math.min(16 * 1024, data.length - off));
                        if ((off / (16 * 1024)) % 16 == 0) {
                            Thread.sleep(5);
                        }
                    }
                    s.shutdownOutput();
                } catch (final IOException | InterruptedException e) {
                    failures.add("long transfer " + seed + " write: " + e);
                }
            });
            final byte[] echoed = TcpServers.readAll(in, bytes + 1);
            try {
                writer.join();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (echoed.length != bytes || !MessageDigest.isEqual(sha256(echoed), sha256(data))) {
                throw new IOException("echo of " + echoed.length + " bytes from " + greeting + " does not match the "
                    + bytes + " sent (SHA-256)");
            }
        }
    }

    private static byte[] sha256(final byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Short sessions completed so far. */
    public int sessions() {
        return sessions.get();
    }

    /** Short sessions completed by the server of that greeting. */
    public int servedBy(final String server) {
        final AtomicInteger n = servedBy.get(server);
        return n == null ? 0 : n.get();
    }

    public List<String> failures() {
        return List.copyOf(failures);
    }

    public int transfersDone() {
        return transfersDone.get();
    }

    /** Stops the short sessions and waits for every client, long transfers included, to finish. */
    @Override
    public void close() throws InterruptedException {
        running.set(false);
        for (final Thread t : threads) {
            t.join(30_000);
        }
    }
}
