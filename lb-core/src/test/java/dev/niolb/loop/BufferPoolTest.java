package dev.niolb.loop;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.assertj.core.api.Assertions.assertThat;

class BufferPoolTest {
    @Test
    void aReleasedBufferIsTheNextOneHandedOut() {
        final BufferPool pool = new BufferPool(4096, 8);
        final ByteBuffer first = pool.acquire();
        first.put((byte) 1);
        pool.release(first);
        final ByteBuffer again = pool.acquire();
        assertThat(again).isSameAs(first);
        assertThat(again.position()).isZero();
        assertThat(again.isDirect()).isTrue();
        assertThat(pool.allocated()).isEqualTo(1);
    }

    @Test
    void inUseCountsBuffersNotYetReturned() {
        final BufferPool pool = new BufferPool(1024, 8);
        final ByteBuffer a = pool.acquire();
        pool.acquire();
        assertThat(pool.inUse()).isEqualTo(2);
        pool.release(a);
        assertThat(pool.inUse()).isEqualTo(1);
    }

    @Test
    void atMostMaxPooledFreeBuffersAreKept() {
        final BufferPool pool = new BufferPool(1024, 2);
        final ByteBuffer[] held = {pool.acquire(), pool.acquire(), pool.acquire()};
        for (final ByteBuffer b : held) {
            pool.release(b);
        }
        assertThat(pool.pooled()).isEqualTo(2);
    }

    @Test
    void whenDirectMemoryRunsOutAcquireReturnsNullAndCountsIt() {
        final BufferPool pool = new BufferPool(1024, 4, size -> {
            throw new OutOfMemoryError("Cannot reserve 1024 bytes of direct buffer memory (test)");
        });
        assertThat(pool.acquire()).isNull();
        assertThat(pool.allocationFailures()).isEqualTo(1);
        assertThat(pool.inUse()).isZero();
    }
}
