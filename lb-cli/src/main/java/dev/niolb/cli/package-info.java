/**
 * The {@code niolb} command: picocli commands that turn flags into a {@link dev.niolb.config.Config}, run the
 * engine in the foreground, and report every user mistake as one line with exit code 2 and every runtime
 * failure (a port in use) as one line with exit code 1.
 */
package dev.niolb.cli;
