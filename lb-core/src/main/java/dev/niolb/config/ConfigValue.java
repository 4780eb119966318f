package dev.niolb.config;

/**
 * A value a user writes as one piece of text although it is a record ({@link BusyPoll}: {@code 50us}): a reload's
 * diff shows it whole, as its {@code toString()} writes it, rather than field by field.
 */
public interface ConfigValue {
}
