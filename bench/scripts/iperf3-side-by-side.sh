#!/usr/bin/env bash
# iperf3 through niolb, HAProxy and nginx stream vs direct, one stream, alternating targets round by round.
#   bench/scripts/iperf3-side-by-side.sh [ROUNDS=3] [SECONDS=5] [THREADS=1]
# Needs iperf3 (and haproxy, nginx + libnginx-mod-stream for the peers; absent peers are skipped).
# Prints the median Gbit/s of each target and its ratio to direct. Everything runs on 127.0.0.1 and stops by itself.
set -euo pipefail
ROUNDS=${1:-3}; SECS=${2:-5}; THREADS=${3:-1}
"$(dirname "$0")/../../niolb" version >/dev/null # builds niolb if needed
. "$(dirname "$0")/common.sh" iperf3
command -v iperf3 >/dev/null || { echo "iperf3 is not installed (apt-get install iperf3)" >&2; exit 1; }

BACKEND=15201; NIOLB=15202; HAPROXY=15203; NGINX=15204
iperf3 -s -p $BACKEND >/dev/null 2>&1 & pids+=($!)

"$top/niolb" run --listen 127.0.0.1:$NIOLB --server 127.0.0.1:$BACKEND --threads "$THREADS" >"$work/niolb.log" 2>&1 & pids+=($!)
targets=(direct:$BACKEND niolb:$NIOLB)

if command -v haproxy >/dev/null; then
  cat >"$work/haproxy.cfg" <<CFG
global
  nbthread $THREADS
defaults
  mode tcp
  timeout connect 5s
  timeout client 1m
  timeout server 1m
listen bench
  bind 127.0.0.1:$HAPROXY
  server s1 127.0.0.1:$BACKEND
CFG
  haproxy -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 & pids+=($!)
  targets+=(haproxy:$HAPROXY)
fi
if have_nginx_stream; then
  start_nginx_stream "    listen 127.0.0.1:$NGINX;
    proxy_pass 127.0.0.1:$BACKEND;" "$work" "$THREADS"
  targets+=(nginx:$NGINX)
fi

for t in "${targets[@]}"; do # wait until every target accepts
  for i in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/${t#*:}) 2>/dev/null && break; sleep 0.1; done
done

declare -A results
for r in $(seq 1 "$ROUNDS"); do
  for t in "${targets[@]}"; do
    name=${t%%:*}; port=${t#*:}
    bps=$(iperf3 -c 127.0.0.1 -p "$port" -t "$SECS" -J 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"])')
    results[$name]="${results[$name]:-} $bps"
  done
done

median() { python3 -c 'import sys,statistics; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
direct=$(median ${results[direct]})
printf '%-8s %10s %8s   (iperf3, 1 stream, %ss x %s rounds, median; proxies with %s thread(s))\n' target Gbit/s ratio "$SECS" "$ROUNDS" "$THREADS"
for t in "${targets[@]}"; do
  name=${t%%:*}; m=$(median ${results[$name]})
  python3 -c "import sys; m,d=float(sys.argv[1]),float(sys.argv[2]); print(f'{sys.argv[3]:<8} {m/1e9:10.2f} {m/d:8.2f}')" "$m" "$direct" "$name"
done
