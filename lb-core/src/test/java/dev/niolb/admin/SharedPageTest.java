package dev.niolb.admin;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SharedPageTest {
    @Test
    void readersWhoComeWhileThePageRendersGetThatRendersBytes() throws Exception {
        final AtomicInteger renders = new AtomicInteger();
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final SharedPage page = new SharedPage(sizeHint -> {
            renders.incrementAndGet();
            started.countDown();
            try {
                release.await();
            } catch (final InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return "page " + renders.get();
        });
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            final Future<byte[]> first = pool.submit(page::bytes);
            started.await();
            final Future<byte[]> second = pool.submit(page::bytes);
            final Future<byte[]> third = pool.submit(page::bytes);
            while (!page.hasWaiters(2)) {
                Thread.onSpinWait(); // both are waiting for the render under way
            }
            release.countDown();

            assertThat(second.get()).isSameAs(first.get()).isSameAs(third.get());
            assertThat(new String(first.get(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("page 1");
        }
        assertThat(renders).hasValue(1);
    }

    @Test
    void aReaderAfterARenderEndedRendersAgainWithTheLastLengthAsAHint() {
        final AtomicInteger hint = new AtomicInteger();
        final AtomicInteger renders = new AtomicInteger();
        final SharedPage page = new SharedPage(sizeHint -> {
            hint.set(sizeHint);
            return "x".repeat(1000 * renders.incrementAndGet());
        });

        assertThat(page.bytes()).hasSize(1000);
        assertThat(page.bytes()).hasSize(2000);
        assertThat(hint).hasValue(1000);
    }

    @Test
    void aFailedRenderFailsItsReadersAndTheNextOneRendersAfresh() {
        final AtomicInteger renders = new AtomicInteger();
        final SharedPage page = new SharedPage(sizeHint -> {
            if (renders.incrementAndGet() == 1) {
                throw new IllegalStateException("broken");
            }
            return "fine";
        });

        assertThatThrownBy(page::bytes).hasMessage("broken");
        assertThat(page.bytes()).asString().isEqualTo("fine");
    }
}
