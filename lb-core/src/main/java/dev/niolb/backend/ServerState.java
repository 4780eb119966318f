package dev.niolb.backend;

/**
 * The state of a server as balancers, logs and operators see it. Only {@link #UP} takes new sessions; in every
 * other state the sessions a server already has go on until they end by themselves.
 */
public enum ServerState {
    /** Healthy and in service. */
    UP,
    /** Failed its checks (or too many connects in a row during real traffic), or its agent said so. */
    DOWN,
    /** Taken out gently, by an operator or its agent: no new sessions, the existing ones finish. */
    DRAIN,
    /** Taken out for maintenance by an operator or its agent: no new sessions, checks do not bring it back. */
    MAINT
}
