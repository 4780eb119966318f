package dev.niolb.health;

/**
 * The outcome of one check: passed or not, a short detail for logs ({@code connection refused},
 * {@code HTTP 503}, {@code timed out after 1000 ms}), and for agent checks what the agent said.
 *
 * @param agent   the parsed agent reply; null for other checks and for an agent that could not be reached
 * @param notMade niolb could not make the check at all (no socket: out of descriptors), so it says nothing of
 *                the server; {@code passed} is false
 */
record CheckResult(boolean passed, String detail, AgentReply agent, boolean notMade) {
    CheckResult(final boolean passed, final String detail, final AgentReply agent) {
        this(passed, detail, agent, false);
    }

    static CheckResult passed(final String detail) {
        return new CheckResult(true, detail, null);
    }

    static CheckResult failed(final String detail) {
        return new CheckResult(false, detail, null);
    }

    /**
     * No check: the socket to make it with could not be opened (EMFILE, ENFILE, ENOBUFS). That is niolb's own
     * want, as for a session ({@code TcpSession} blames no server for it either): counted against the server,
     * it took a healthy server DOWN whenever niolb ran out of descriptors, and every client then waiting in the
     * backlog was accepted and refused (black-box testing, session 24).
     */
    static CheckResult notMade(final String detail) {
        return new CheckResult(false, detail, null, true);
    }
}
