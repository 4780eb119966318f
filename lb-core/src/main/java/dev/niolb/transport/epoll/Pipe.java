package dev.niolb.transport.epoll;

/**
 * Used on one loop's thread.
 *
 * A kernel pipe, both ends non-blocking: what a splice relay moves bytes through. {@link #held} counts the bytes
 * sitting in it; a pipe goes back to its pool only empty, so the next session never reads another's bytes.
 */
final class Pipe {
    final int readFd;
    final int writeFd;
    final int capacity;
    int held;

    Pipe(final int readFd, final int writeFd, final int capacity) {
        this.readFd = readFd;
        this.writeFd = writeFd;
        this.capacity = capacity;
    }

    void close() {
        Libc.close(readFd);
        Libc.close(writeFd);
    }
}
