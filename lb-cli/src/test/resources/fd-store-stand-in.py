#!/usr/bin/env python3
"""A stand-in for systemd's file descriptor store, for one listening TCP socket.

Usage: fd-store-stand-in.py PORT NOTIFY_PATH COMMAND...

It binds 127.0.0.1:PORT (SO_REUSEPORT, as niolb's sockets), keeps its own copy as systemd's store does, and starts
COMMAND with the socket as fd 3 (LISTEN_FDS=1, LISTEN_FDNAMES=niolb-listeners, LISTEN_PID of the child) and
NOTIFY_SOCKET=NOTIFY_PATH. It prints each notify message as a line 'NOTIFY …', closes its copy on
FDSTOREREMOVE=1, forwards SIGTERM to the child and exits with its status. The child dies with it (PDEATHSIG).
With SOCKET_UID=N in its environment (run as root) it makes the socket as user N, as a socket unit's are made
by root for a service that runs as a user of its own: a socket of another user's can join no SO_REUSEPORT group.
With SOCKET_UNIT=1 it keeps its copy whatever the child asks, as systemd does for a socket unit's sockets. A socket
unit's socket (SOCKET_UNIT=1 or SOCKET_UID) is named for its unit in LISTEN_FDNAMES (niolb.socket), as systemd names it.
With SOCKET_UDP=1 the socket is a UDP one; once the child has exited, the datagrams still queued in it (those a
restart's successor would read) are printed, one line 'QUEUED …' each.
"""
import ctypes
import os
import select
import signal
import socket
import sys

port, notify_path, command = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
owner = os.environ.pop("SOCKET_UID", None)
socket_unit = os.environ.pop("SOCKET_UNIT", None) == "1"
if owner is not None:
    os.setresuid(-1, int(owner), -1)  # a socket belongs to the effective user that makes it
udp = os.environ.pop("SOCKET_UDP", None) == "1"
listening = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM)
if owner is not None:
    os.setresuid(-1, 0, -1)
listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
listening.bind(("127.0.0.1", port))
if not udp:
    listening.listen(16)
notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
notify.bind(notify_path)

child = os.fork()
if child == 0:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    os.dup2(listening.fileno(), 3)
    os.set_inheritable(3, True)
    name = "niolb.socket" if socket_unit or owner is not None else "niolb-listeners"
    env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid()), LISTEN_FDNAMES=name,
               NOTIFY_SOCKET=notify_path)
    os.execvpe(command[0], command, env)

signal.signal(signal.SIGTERM, lambda *_: os.kill(child, signal.SIGTERM))
while True:
    try:
        ready, _, _ = select.select([notify], [], [], 0.1)
    except InterruptedError:
        continue
    if ready:
        message = notify.recv(65536).decode("utf-8", "replace")
        print("NOTIFY " + message.replace("\n", " | "), flush=True)
        if "FDSTOREREMOVE=1" in message and listening.fileno() >= 0 and not socket_unit:
            listening.close()
    done, status = os.waitpid(child, os.WNOHANG)
    if done:
        if udp and listening.fileno() >= 0:
            listening.setblocking(False)
            while True:
                try:
                    print("QUEUED " + listening.recv(65536).decode("utf-8", "replace"), flush=True)
                except BlockingIOError:
                    break
        sys.exit(os.waitstatus_to_exitcode(status) & 0xFF)
