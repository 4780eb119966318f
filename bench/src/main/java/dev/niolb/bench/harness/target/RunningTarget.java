package dev.niolb.bench.harness.target;

/** A target together with the process the harness started for it (null for targets it did not start). */
public record RunningTarget(Target target, ManagedProcess process) {
}
