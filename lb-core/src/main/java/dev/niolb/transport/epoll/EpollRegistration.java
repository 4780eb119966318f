package dev.niolb.transport.epoll;

import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Registration;

import java.io.UncheckedIOException;

/**
 * Used on its loop's thread.
 *
 * A socket in its loop's epoll set: the interest its owner asked for, and what the kernel holds
 * ({@code epoll_ctl} is called only when that changes, and not at all for a close: closing the descriptor takes
 * it out of the set).
 *
 * <p>Threading: the owning loop's thread.
 */
final class EpollRegistration implements Registration {
    private final EpollPoller poller;
    private final EpollFd owner;
    private final IoHandler handler;
    private final int slot;
    private final int generation;
    private int interest;
    private int inKernel;
    private boolean valid = true;
    /** Queued to be reported readable again by the poller (see {@link EpollPoller#readyAgain}). */
    boolean again;

    EpollRegistration(final EpollPoller poller, final EpollFd owner, final IoHandler handler, final int slot,
                      final int generation) {
        this.poller = poller;
        this.owner = owner;
        this.handler = handler;
        this.slot = slot;
        this.generation = generation;
    }

    @Override
    public void interest(final int ops) {
        if (!valid) {
            throw new IllegalStateException("registration cancelled");
        }
        change(ops);
    }

    /** Sets the interest, telling the kernel only when its epoll events change. */
    void change(final int ops) {
        interest = ops;
        if ((ops & dev.niolb.loop.Ready.READ) != 0 && owner.takeReadHint()) {
            poller.readyAgain(owner);
        }
        final int wanted = EpollPoller.epollEvents(ops);
        if (wanted == inKernel) {
            return;
        }
        final int op = inKernel == 0 ? Libc.EPOLL_CTL_ADD : wanted == 0 ? Libc.EPOLL_CTL_DEL : Libc.EPOLL_CTL_MOD;
        if (poller.ctl(op, owner.fd(), wanted, ((long) generation << 32) | slot) < 0) {
            throw new UncheckedIOException(Errors.last("epoll_ctl"));
        }
        inKernel = wanted;
    }

    @Override
    public void cancel() {
        if (!valid) {
            return;
        }
        if (inKernel != 0) {
            poller.ctl(Libc.EPOLL_CTL_DEL, owner.fd(), 0, 0); // the socket stays open: the kernel must forget it
            inKernel = 0;
        }
        forget();
    }

    /** Its socket is being closed: the close takes it out of the epoll set, so no {@code epoll_ctl}. */
    void forget() {
        if (valid) {
            valid = false;
            poller.release(this);
        }
    }

    @Override
    public boolean isValid() {
        return valid;
    }

    int interestOps() {
        return interest;
    }

    IoHandler handler() {
        return handler;
    }

    EpollPoller poller() {
        return poller;
    }

    EpollFd owner() {
        return owner;
    }

    int slot() {
        return slot;
    }

    int generation() {
        return generation;
    }
}
