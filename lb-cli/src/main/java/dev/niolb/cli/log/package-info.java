/**
 * Logging set-up for the {@code niolb} process: the line pattern picked for a terminal or for the systemd journal.
 */
package dev.niolb.cli.log;
