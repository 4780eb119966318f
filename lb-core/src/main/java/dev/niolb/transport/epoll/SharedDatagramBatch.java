package dev.niolb.transport.epoll;

/**
 * Used on its loop's thread.
 *
 * One loop's {@code recvmmsg} batch for the sockets that have none of their own (a flow's socket connected to one
 * server): a server answering a burst is read in one syscall rather than one per datagram, and a batch that was
 * not full tells the socket that nothing more waits, without the receive that would say {@code EAGAIN}.
 *
 * <p>The batch holds one socket's datagrams at a time, lent to whichever socket receives when it is empty. A
 * socket that leaves datagrams in it (its owner stopped early) keeps it and is reported readable again by the
 * poller until they are handed out; meanwhile another socket that would receive is refused it and reads with
 * {@code recvfrom}, as without the batch. Its native memory (about 1 MiB, the largest datagram in each slot) is
 * allocated the first time a socket receives on the loop, and freed when the loop closes.
 */
final class SharedDatagramBatch {
    private DatagramBatch batch;
    private EpollDatagramSocket owner;
    private boolean closed;

    /** The batch for {@code socket} to take from, or to fill when empty; null while another socket's datagrams are in it. */
    DatagramBatch lend(final EpollDatagramSocket socket) {
        if (closed) {
            return null;
        }
        if (owner != socket) {
            if (owner != null && batch.hasNext() && !owner.isClosed()) {
                return null;
            }
            if (batch == null) {
                batch = new DatagramBatch();
            }
            batch.discard(); // nothing of another socket's may reach this one
        }
        owner = socket;
        return batch;
    }

    /** Whether {@code socket}'s datagrams wait in the batch (epoll cannot see them). */
    boolean holds(final EpollDatagramSocket socket) {
        return owner == socket && batch.hasNext();
    }

    /** {@code socket} closes: what it left in the batch is dropped, as the kernel drops a closed socket's queue. */
    void release(final EpollDatagramSocket socket) {
        if (owner == socket) {
            owner = null;
            batch.discard();
        }
    }

    void close() {
        closed = true;
        owner = null;
        if (batch != null) {
            batch.close();
            batch = null;
        }
    }
}
