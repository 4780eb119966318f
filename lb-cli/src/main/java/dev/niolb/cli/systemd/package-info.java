/**
 * niolb under systemd: the {@code sd_notify} protocol spoken over {@code $NOTIFY_SOCKET} (readiness, reloads,
 * stopping, a status line) and the watchdog that only pings while every event loop keeps coming back to its poll.
 * Without {@code $NOTIFY_SOCKET} (not started by systemd, or {@code Type=} other than notify) all of it is off.
 */
package dev.niolb.cli.systemd;
