package dev.niolb.health;

/**
 * HAProxy's rise and fall: {@code fall} failed checks in a row take an UP server DOWN, {@code rise} passed
 * checks in a row bring a DOWN server UP; a result that agrees with the current state resets the run.
 *
 * <p>Not threadsafe: owned by the health loop.
 */
final class RiseFall {
    private final int rise;
    private final int fall;
    private boolean up;
    private int run;

    RiseFall(final int rise, final int fall, final boolean up) {
        if (rise < 1 || fall < 1) {
            throw new IllegalArgumentException("rise and fall must be at least 1");
        }
        this.rise = rise;
        this.fall = fall;
        this.up = up;
    }

    /** Counts one check; returns true when it flips the state (see {@link #up()} for the new one). */
    boolean record(final boolean passed) {
        if (passed == up) {
            run = 0;
            return false;
        }
        if (++run >= (up ? fall : rise)) {
            up = !up;
            run = 0;
            return true;
        }
        return false;
    }

    /** Takes the server DOWN now (passive detection): it needs {@code rise} passed checks to come back. */
    void forceDown() {
        up = false;
        run = 0;
    }

    boolean up() {
        return up;
    }

    /** The checks in a row the last flip took: {@code rise} after going UP, {@code fall} after going DOWN. */
    int lastFlipCount() {
        return up ? rise : fall;
    }
}
