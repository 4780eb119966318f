#!/usr/bin/env bash
# What an idle proxy costs: wake-ups per second and CPU while it holds idle connections, niolb beside HAProxy and
# nginx, one thread each.
#   bench/scripts/idle-wakeups.sh [CONNECTIONS=100] [SECONDS=10]
# A backend (a Python listener) accepts and holds connections; each proxy in turn gets CONNECTIONS clients that
# connect through it and send nothing, then, after 3 s to settle, is watched for SECONDS: its context switches
# (voluntary and not, every thread, the master and the worker for HAProxy and nginx; a thread that ends in the
# window is not counted) and its CPU ticks (utime+stime from /proc), both per second of the time between the two
# readings. Every proxy keeps idle connections 10 minutes (niolb's default idle timeout, HAProxy's timeout
# client/server, nginx's proxy_timeout), with no health checks. For niolb it also prints which threads woke.
# JAVA_OPTS naming a collector (-XX:+UseSerialGC) replaces ZGC, as in the launcher.
# Build niolb first: /work/bin/mvnq -B -q -o -pl lb-core,lb-cli -am package -DskipTests. NIOLB_CP overrides the
# class path of niolb, JAVA_OPTS adds JVM options. Everything runs on 127.0.0.1 with fixed ports below 32768, is
# bounded in time, and every process started here is ended by its PID.
set -euo pipefail
CONNS=${1:-100}; SECS=${2:-10}
. "$(dirname "$0")/common.sh" idle
BACKEND=15321; NIOLB=15322; HAPROXY=15323; NGINX=15324

python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4096)
held = []
while True:
    c, _ = s.accept(); held.append(c)
' $BACKEND & pids+=($!)

listening() { # waits (up to 20 s) until port $1 takes connections
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2; return 1
}

snapshot() { # one line per thread of the PIDs given: id, name, context switches (voluntary and not) so far
  local p f
  for p in "$@"; do
    for f in /proc/"$p"/task/*; do
      printf '%s %s %s\n' "${f##*/}" "$(tr ' ' _ <"$f/comm" 2>/dev/null || echo gone)" \
        "$(awk '/ctxt_switches/ {n += $2} END {print n + 0}' "$f/status" 2>/dev/null || echo 0)"
    done
  done | LC_ALL=C sort
}

workers() { # the children of master PID $1, waiting (up to 10 s) until it has forked them
  local kids
  for _ in $(seq 1 100); do
    kids=$(children "$1")
    [ -n "$kids" ] && { echo "$kids"; return 0; }
    sleep 0.1
  done
  echo "process $1 started no worker" >&2; return 1
}

declare -A rate cpu
names=()
measure() { # measure NAME PORT PID...: hold CONNS idle connections through PORT, watch the PIDs for SECS
  local name=$1 port=$2; shift 2
  listening "$port"
  python3 -c '
import socket, sys, time
held = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(int(sys.argv[2]))]
time.sleep(float(sys.argv[3]))
' "$port" "$CONNS" $((SECS + 6)) & pids+=($!)
  local holder=$! c0 c1 t0 t1
  sleep 3 # the connections made and settled; the JIT's first compilations done
  # one snapshot of every thread at each end: the total and the per-thread figures come from the same counts
  t0=$(date +%s.%N); snapshot "$@" >"$work/$name-0"; c0=$(cpu_ticks "$@")
  sleep "$SECS"
  t1=$(date +%s.%N); snapshot "$@" >"$work/$name-1"; c1=$(cpu_ticks "$@")
  stop $holder
  # per thread: before (0 for a thread started in the window) and after; a thread that ended is not counted
  LC_ALL=C join -a2 -e0 -o '0,2.2,1.3,2.3' "$work/$name-0" "$work/$name-1" >"$work/$name-threads"
  rate[$name]=$(awk -v s="$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$t0" "$t1")" \
    '{n += $4 - $3} END {printf "%.1f", n / s}' "$work/$name-threads")
  cpu[$name]=$(python3 -c "import sys; print(f'{(int(sys.argv[2]) - int(sys.argv[1])) * 1000 / int(sys.argv[3]) / (float(sys.argv[5]) - float(sys.argv[4])):.2f}')" "$c0" "$c1" "$CLK_TCK" "$t0" "$t1")
  names+=("$name")
  echo "  $name: ${rate[$name]} wake-ups/s, ${cpu[$name]} ms CPU/s" >&2
}

# the JVM options of the distribution's launcher (lb-cli/src/dist/lib/launcher.sh), then JAVA_OPTS; as there,
# a collector named in JAVA_OPTS replaces ZGC
gc=-XX:+UseZGC
[[ ${JAVA_OPTS:-} =~ -XX:[+-]Use[A-Za-z]*GC ]] && gc=
# shellcheck disable=SC2086
"$JAVA" -Xms64m -Xmx512m -XX:MaxDirectMemorySize=512m $gc -XX:+UseCompactObjectHeaders \
  --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --enable-native-access=ALL-UNNAMED ${JAVA_OPTS:-} \
  -cp "$CP" dev.niolb.cli.Main run --listen "127.0.0.1:$NIOLB" --server "127.0.0.1:$BACKEND" --threads 1 \
  --idle-timeout 10m --grace 1s --admin none >"$work/niolb.log" 2>&1 & pids+=($!)
niolb=$!
measure niolb $NIOLB $niolb
stop $niolb

if command -v haproxy >/dev/null; then
  cat >"$work/haproxy.cfg" <<CFG
global
  nbthread 1
defaults
  mode tcp
  timeout connect 5s
  timeout client 10m
  timeout server 10m
listen idle
  bind 127.0.0.1:$HAPROXY
  server s1 127.0.0.1:$BACKEND
CFG
  haproxy -W -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 & pids+=($!)
  master=$!
  listening $HAPROXY
  # shellcheck disable=SC2046
  measure haproxy $HAPROXY $master $(workers "$master")
  stop $master
else
  echo "haproxy is not installed: no HAProxy row" >&2
fi

if have_nginx_stream; then
  start_nginx_stream "    listen 127.0.0.1:$NGINX;
    proxy_pass 127.0.0.1:$BACKEND;
    proxy_timeout 10m;"
  listening $NGINX
  # shellcheck disable=SC2046
  measure nginx $NGINX $master $(workers "$master")
  stop $master
else
  echo "nginx with ngx_stream_module is not installed: no nginx row" >&2
fi

printf '%-8s %12s %12s\n' target wake-ups/s "ms CPU/s"
for n in "${names[@]}"; do printf '%-8s %12s %12s\n' "$n" "${rate[$n]}" "${cpu[$n]}"; done
echo "niolb's threads that woke in the ${SECS}s (context switches):"
awk '$4 > $3 {printf "  %-24s %d\n", $2, $4 - $3}' "$work/niolb-threads" | sort -k2 -n -r
echo "($CONNS idle connections through each proxy, ${SECS}s after 3s to settle; one proxy thread each; $(nproc) cores)"
