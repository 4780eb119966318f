package dev.niolb.admin;

import dev.niolb.LoadBalancer;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.IntFunction;

/**
 * Threadsafe.
 *
 * A page that is the same for every reader (GET /metrics, GET /api/stats), rendered at most once at a time per
 * engine: a request that comes while it renders waits for that render and is answered with its bytes. Such a page
 * grows with the servers (63 MB of /metrics for 10,000), and each render held several copies of it: six scrapes at
 * once, on the admin address or the metrics one, exhausted the heap and took the process and every session with it
 * (black-box testing, session 33). Now concurrent readers cost one render, whichever listener they came to. A
 * reader that waited gets a page rendered from counters read a moment before its request: as fresh as a scrape
 * that came a moment earlier.
 */
final class SharedPage {
    private static final Map<LoadBalancer, Map<String, SharedPage>> BY_ENGINE =
        Collections.synchronizedMap(new WeakHashMap<>());

    private final IntFunction<String> render; // renders the page, given the length of the last one (a size hint)
    private CompletableFuture<byte[]> rendering; // the render under way, or null; under this
    private int lastLength = 8192; // under this

    private int waiting; // readers waiting for the render under way (tests ask); under this

    SharedPage(final IntFunction<String> render) {
        this.render = render;
    }

    /**
     * The page {@code name} of {@code lb}: {@code render} makes it, given the last one's length so that its text
     * need not grow by copies. Every caller for one name passes the same render; the first one's is kept.
     */
    static SharedPage of(final LoadBalancer lb, final String name, final IntFunction<String> render) {
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

    /** The page in UTF-8: rendered now, or by the render under way when this was asked. */
    byte[] bytes() {
        final CompletableFuture<byte[]> page;
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
            sizeHint = lastLength;
        }
        if (renders) {
            try {
                final byte[] bytes = render.apply(sizeHint).getBytes(StandardCharsets.UTF_8);
                synchronized (this) {
                    lastLength = bytes.length;
                }
                page.complete(bytes);
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
}
