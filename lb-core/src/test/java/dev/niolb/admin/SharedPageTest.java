package dev.niolb.admin;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SharedPageTest {
    private static Consumer<Writer> writing(final String text) {
        return w -> {
            try {
                w.write(text);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    private static String inflated(final SharedPage.Page page) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(page.gzip()))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void readersWhoComeWhileThePageRendersGetThatRendersPage() throws Exception {
        final AtomicInteger renders = new AtomicInteger();
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final SharedPage page = new SharedPage(w -> {
            renders.incrementAndGet();
            started.countDown();
            try {
                release.await();
            } catch (final InterruptedException e) {
                throw new IllegalStateException(e);
            }
            writing("page " + renders.get()).accept(w);
        });
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            final Future<SharedPage.Page> first = pool.submit(page::page);
            started.await();
            final Future<SharedPage.Page> second = pool.submit(page::page);
            final Future<SharedPage.Page> third = pool.submit(page::page);
            while (!page.hasWaiters(2)) {
                Thread.onSpinWait(); // both are waiting for the render under way
            }
            release.countDown();

            assertThat(second.get()).isSameAs(first.get()).isSameAs(third.get());
            assertThat(inflated(first.get())).isEqualTo("page 1");
        }
        assertThat(renders).hasValue(1);
    }

    @Test
    void aPageIsKeptAsGzipOfItsUtf8WithItsLength() throws Exception {
        final String text = "niolb_sessions 3\n".repeat(10_000) + "é";
        final SharedPage.Page page = new SharedPage(writing(text)).page();

        assertThat(inflated(page)).isEqualTo(text);
        assertThat(page.plainLength()).isEqualTo(text.getBytes(StandardCharsets.UTF_8).length);
        assertThat(page.gzip().length).as("kept small").isLessThan(page.plainLength() / 10);
    }

    @Test
    void aReaderAfterARenderEndedRendersAgain() throws Exception {
        final AtomicInteger renders = new AtomicInteger();
        final SharedPage page = new SharedPage(w -> writing("render " + renders.incrementAndGet()).accept(w));

        assertThat(inflated(page.page())).isEqualTo("render 1");
        assertThat(inflated(page.page())).isEqualTo("render 2");
    }

    @Test
    void aFailedRenderFailsItsReadersAndTheNextOneRendersAfresh() throws Exception {
        final AtomicInteger renders = new AtomicInteger();
        final SharedPage page = new SharedPage(w -> {
            if (renders.incrementAndGet() == 1) {
                throw new IllegalStateException("broken");
            }
            writing("fine").accept(w);
        });

        assertThatThrownBy(page::page).hasMessage("broken");
        assertThat(inflated(page.page())).isEqualTo("fine");
    }

    @Test
    void gzipIsTakenWhenAcceptEncodingNamesItWithoutAZeroWeight() {
        assertThat(AdminResponse.takesGzip("gzip")).isTrue();
        assertThat(AdminResponse.takesGzip("deflate, GZIP;q=0.5")).isTrue();
        assertThat(AdminResponse.takesGzip("gzip;q=0")).isFalse();
        assertThat(AdminResponse.takesGzip("gzip; q=0.000")).isFalse();
        assertThat(AdminResponse.takesGzip("identity")).isFalse();
        assertThat(AdminResponse.takesGzip("x-gzip2")).isFalse();
        assertThat(AdminResponse.takesGzip(null)).isFalse();
    }
}
