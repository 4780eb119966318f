package dev.niolb.loop;

import dev.niolb.testing.Await;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

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

    @Test
    void withNoRoomLeftUnderTheDirectMemoryBoundAcquireFailsWithoutAskingTheJdk() {
        final AtomicLong used = new AtomicLong();
        final DirectMemory memory = new DirectMemory(used::get, 64L << 20); // a bound of 56 MiB (8 MiB headroom)
        final AtomicInteger allocations = new AtomicInteger();
        final BufferPool pool = new BufferPool(1 << 20, 4, size -> {
            allocations.incrementAndGet();
            used.addAndGet(size);
            return ByteBuffer.allocate(size);
        }, memory);
        used.set(memory.limit() - (1 << 20));
        final ByteBuffer last = pool.acquire();
        assertThat(last).as("the last MiB under the bound").isNotNull();
        assertThat(pool.acquire()).as("none past it").isNull();
        assertThat(allocations).as("the JDK was not asked: its refusal sleeps").hasValue(1);
        assertThat(pool.allocationFailures()).isEqualTo(1);
        pool.release(last);
        assertThat(pool.acquire()).as("a pooled buffer needs no room").isSameAs(last);
    }

    @Test
    void aPoolThatFindsNoRoomHasTheCollectorReclaimWhatReleasedBuffersHold() throws Exception {
        final DirectMemory memory = new DirectMemory(() -> Long.MAX_VALUE / 2, 64L << 20);
        assertThat(memory.roomFor(1)).isFalse();
        assertThat(memory.roomFor(1)).as("asked again while the first is under way").isFalse();
        Await.until(() -> memory.reclaims() >= 1, 10_000);
    }

    @Test
    void theHeadroomLeftToTheJdkIsAnEighthAtLeast8MiBAtMostHalf() {
        assertThat(DirectMemory.headroom(512L << 20)).isEqualTo(64L << 20);
        assertThat(DirectMemory.headroom(32L << 20)).isEqualTo(8L << 20);
        assertThat(DirectMemory.headroom(4L << 20)).as("a tiny maximum still leaves the pools half").isEqualTo(2L << 20);
    }
}
