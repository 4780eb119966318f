package dev.niolb.bench.harness.soak;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/** The soak's backends by id, and what the clients ask about them. Threadsafe (the list never changes). */
final class SoakServers implements AutoCloseable {
    private final List<SoakServer> all;

    private SoakServers(final List<SoakServer> all) {
        this.all = all;
    }

    static SoakServers open(final int count, final InetAddress host) throws IOException {
        final List<SoakServer> list = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                list.add(SoakServer.open(i, host));
            }
        } catch (final IOException e) {
            list.forEach(SoakServer::close);
            throw e;
        }
        return new SoakServers(List.copyOf(list));
    }

    SoakServer get(final int id) {
        return all.get(id);
    }

    List<SoakServer> all() {
        return all;
    }

    boolean wasDownBetween(final int id, final long fromNanos, final long toNanos) {
        return id >= 0 && id < all.size() && all.get(id).wasDownBetween(fromNanos, toNanos);
    }

    boolean anyDownBetween(final long fromNanos, final long toNanos) {
        for (final SoakServer s : all) {
            if (s.wasDownBetween(fromNanos, toNanos)) {
                return true;
            }
        }
        return false;
    }

    int stops() {
        return all.stream().mapToInt(SoakServer::stops).sum();
    }

    @Override
    public void close() {
        all.forEach(SoakServer::close);
    }
}
