/**
 * Restart without systemd and without refusing a connection: a running niolb hands its listening sockets over a
 * Unix control socket ({@code SCM_RIGHTS}) to a new niolb started with {@code --takeover}, which serves on them
 * while the old one stops accepting and lets its sessions finish (HAProxy's {@code -x}).
 */
package dev.niolb.cli.takeover;
