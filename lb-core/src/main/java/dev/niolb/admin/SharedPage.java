package dev.niolb.admin;

import dev.niolb.LoadBalancer;

import java.io.BufferedWriter;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.zip.GZIPOutputStream;

/**
 * Threadsafe.
 *
 * A page that is the same for every reader (GET /metrics, GET /api/stats), rendered at most once at a time per
 * engine and kept gzipped: a request that comes while it renders waits for that render and is answered with its
 * bytes. Such a page grows with the servers (45 MB of /metrics text for 10,000), and held as text it ran the heap
 * out: six scrapes at once, or a few that read nothing and held their copy for the response timeout, or one at
 * 38,000 servers, ended the process with every session (black-box testing, session 33). Rendered straight into
 * gzip, a page is never whole as text (a tenth of the bytes or less), concurrent readers share one render, and a
 * reader that does not take gzip gets it inflated as it is sent ({@link AdminConnection}). A reader that waited
 * gets a page rendered from counters read a moment before its request: as fresh as a scrape a moment earlier.
 */
final class SharedPage {
    private static final Map<LoadBalancer, Map<String, SharedPage>> BY_ENGINE =
        Collections.synchronizedMap(new WeakHashMap<>());

    /** A rendered page: gzip of {@code plainLength} bytes of UTF-8. */
    record Page(byte[] gzip, int plainLength) {
    }

    private final Consumer<Writer> render;
    private CompletableFuture<Page> rendering; // the render under way, or null; under this
    private int lastGzipLength = 8192; // under this
    private int waiting; // readers waiting for the render under way (tests ask); under this

    SharedPage(final Consumer<Writer> render) {
        this.render = render;
    }

    /**
     * The page {@code name} of {@code lb}: {@code render} writes it. Every caller for one name passes the same
     * render; the first one's is kept.
     */
    static SharedPage of(final LoadBalancer lb, final String name, final Consumer<Writer> render) {
        final Map<String, SharedPage> pages;
        synchronized (BY_ENGINE) {
            pages = BY_ENGINE.computeIfAbsent(lb, engine -> new ConcurrentHashMap<>());
        }
        return pages.computeIfAbsent(name, n -> new SharedPage(render));
    }

    /** Whether at least {@code n} readers wait for the render under way (for tests). */
    synchronized boolean hasWaiters(final int n) {
        return waiting >= n;
    }

    /** The page: rendered now, or by the render under way when this was asked. */
    Page page() {
        final CompletableFuture<Page> page;
        final boolean renders;
        final int sizeHint;
        synchronized (this) {
            renders = rendering == null;
            if (renders) {
                rendering = new CompletableFuture<>();
            } else {
                waiting++;
            }
            page = rendering;
            sizeHint = lastGzipLength;
        }
        if (renders) {
            try {
                final Page made = render(sizeHint);
                synchronized (this) {
                    lastGzipLength = made.gzip().length;
                }
                page.complete(made);
            } catch (final RuntimeException | Error e) {
                page.completeExceptionally(e);
                throw e;
            } finally {
                synchronized (this) {
                    rendering = null;
                    waiting = 0;
                }
            }
        }
        try {
            return page.get();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the page rendered", e);
        } catch (final ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    private Page render(final int sizeHint) {
        final ByteArrayOutputStream gzip = new ByteArrayOutputStream(sizeHint + sizeHint / 8);
        final Counting plain;
        try {
            plain = new Counting(new GZIPOutputStream(gzip, 65536));
            try (Writer w = new BufferedWriter(new OutputStreamWriter(plain, StandardCharsets.UTF_8), 65536)) {
                render.accept(w);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e); // into memory: does not happen
        }
        return new Page(gzip.toByteArray(), (int) Math.min(Integer.MAX_VALUE, plain.count));
    }

    /** Counts the bytes written through it. */
    private static final class Counting extends FilterOutputStream {
        long count;

        Counting(final OutputStream out) {
            super(out);
        }

        @Override
        public void write(final int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(final byte[] b, final int off, final int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
