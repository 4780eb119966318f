package dev.niolb.health;

/**
 * The outcome of one check: passed or not, a short detail for logs ({@code connection refused},
 * {@code HTTP 503}, {@code timed out after 1000 ms}), and for agent checks what the agent said.
 *
 * @param agent the parsed agent reply; null for other checks and for an agent that could not be reached
 */
record CheckResult(boolean passed, String detail, AgentReply agent) {
    static CheckResult passed(final String detail) {
        return new CheckResult(true, detail, null);
    }

    static CheckResult failed(final String detail) {
        return new CheckResult(false, detail, null);
    }
}
