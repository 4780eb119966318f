package dev.niolb.config.file;

import dev.niolb.config.Quoted;

/**
 * A config file that cannot be used: unreadable, not YAML, or a value the model refuses. The message is the whole
 * report, one line that names the file, the line and the key:
 * {@code niolb.yaml:14: groups[0].servers[2].weight: must be 0..256, got 900}. It carries no stack trace.
 */
public final class ConfigFileException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message the report; a line break or other control character in it (from the file) is escaped, and
     *                a report made long by a long value is cut ({@link Quoted#line})
     */
    public ConfigFileException(final String message) {
        super(Quoted.line(message), null, false, false);
    }

    /** {@code FILE:LINE: PATH: PROBLEM}, leaving out the path when it is empty (the document itself). */
    static ConfigFileException at(final String file, final int line, final String path, final String problem) {
        return new ConfigFileException(file + ":" + line + ": " + (path.isEmpty() ? "" : path + ": ") + problem);
    }
}
