package dev.niolb.config.file;

import dev.niolb.config.Config;

/**
 * Where a running niolb's config comes from, read again on demand: what a reload (SIGHUP, the admin API) asks for
 * the new model.
 *
 * <p>Implementations are threadsafe: a reload may read from another thread than the start did.
 */
public interface ConfigSource {
    /**
     * Reads and validates the config afresh.
     *
     * @throws ConfigFileException with a one-line report when it cannot be read or does not validate
     */
    Config load();

    /**
     * As {@link #load}, for a reload while niolb runs: a source that could block for ever here (a named pipe)
     * refuses instead.
     */
    default Config reload() {
        return load();
    }

    /** What is read, for logs: a file's path. */
    String describe();

    /** A config that is not read from anywhere (flags): every load gives it back unchanged. */
    static ConfigSource fixed(final Config config, final String describe) {
        return new ConfigSource() {
            @Override
            public Config load() {
                return config;
            }

            @Override
            public String describe() {
                return describe;
            }
        };
    }
}
