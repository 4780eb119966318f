#!/usr/bin/env bash
# A new TCP connection per HTTP request (wrk with "Connection: close"), straight to an nginx HTTP server and through
# niolb (epoll and nio transports), HAProxy (mode tcp) and nginx stream, each proxy on one thread.
#   bench/scripts/wrk-new-connections.sh [SECONDS=10] [CONNECTIONS=32] [ROUNDS=2] [WARMUP=3]
# Issue 13 asks for this beside the harness's connrate scenario: a client we did not write is a second judge of the
# cost of a new connection. The server answers "ok" and closes (keepalive_timeout 0), so every request is a TCP
# handshake to the proxy, one to the server, a request, a reply and two closes. Targets take turns, ROUNDS times,
# each started just before its turn and stopped after it, so only one proxy uses the two cores at a time; WARMUP
# seconds of load before each measured run are not counted (niolb's JIT). Prints requests/s, the proxy's CPU per
# request (utime+stime from /proc/PID/stat, master and workers for nginx) and niolb's ratios to the best peer of the
# same round; the proxies' order rotates by one each round. Needs wrk, nginx with ngx_stream_module and haproxy.
# Build niolb first:
#   mvn -B -q -o -pl lb-core,lb-cli -am package -DskipTests
# DEFER=1 gives niolb on epoll --defer-accept and HAProxy's bind defer-accept (nginx's stream module has no such
# option): for the client-speaks-first traffic this is. NIOLB_CP overrides niolb's class path. Fixed ports below
# 32768 on 127.0.0.1; every process started here is ended by its PID; each run is bounded by SECONDS.
set -euo pipefail
SECS=${1:-10}; CONNS=${2:-32}; ROUNDS=${3:-2}; WARMUP=${4:-3}
. "$(dirname "$0")/common.sh" wrk
for tool in wrk nginx haproxy; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (apt-get install wrk nginx libnginx-mod-stream haproxy)" >&2; exit 1; }
done
have_nginx_stream || { echo "nginx's stream module is not installed (apt-get install libnginx-mod-stream)" >&2; exit 1; }
ulimit -n 20000 2>/dev/null || true

HTTP=15401; EPOLL=15402; NIO=15403; HAPROXY=15404; NGINX=15405

answers() { # waits (up to 15 s) until port $1 answers an HTTP request with "ok"
  for _ in $(seq 1 150); do
    [ "$(curl -s --max-time 1 "http://127.0.0.1:$1/" 2>/dev/null || true)" = ok ] && return 0
    sleep 0.1
  done
  echo "nothing answers HTTP on port $1" >&2; return 1
}

# The server: nginx HTTP, two workers (it must not be what limits the proxies), no keep-alive.
mkdir -p "$work/http"
cat >"$work/http/nginx.conf" <<CFG
daemon off;
master_process on;
worker_processes 2;
worker_rlimit_nofile 20000;
pid $work/http/nginx.pid;
error_log $work/http/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_timeout 0;
  server {
    listen 127.0.0.1:$HTTP backlog=4096;
    location / { return 200 "ok"; }
  }
}
CFG
nginx -c "$work/http/nginx.conf" -p "$work/http" >/dev/null 2>&1 & pids+=($!)
answers $HTTP

start_target() { # start_target NAME: starts one proxy; sets port (where to send) and main (its PID, none for direct)
  local name=$1
  port=; main=
  case $name in
    direct) port=$HTTP ;;
    niolb-epoll|niolb-nio)
      port=$EPOLL; [ "$name" = niolb-nio ] && port=$NIO
      # the JVM options of the distribution's launcher (lb-cli/src/dist/lib/launcher.sh)
      defer=(); [ "${DEFER:-0}" = 1 ] && [ "$name" = niolb-epoll ] && defer=(--defer-accept)
      "$JAVA" -Xms64m -Xmx512m -XX:MaxDirectMemorySize=512m -XX:+UseZGC -XX:+UseCompactObjectHeaders \
        --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --enable-native-access=ALL-UNNAMED -cp "$CP" \
        dev.niolb.cli.Main run --listen "127.0.0.1:$port" --server "127.0.0.1:$HTTP" --transport "${name#niolb-}" \
        --threads 1 --backlog 4096 ${defer[@]+"${defer[@]}"} >"$work/$name.log" 2>&1 & pids+=($!)
      main=$! ;;
    haproxy)
      cat >"$work/haproxy.cfg" <<CFG
global
    nbthread 1
    maxconn 8000
defaults
    mode tcp
    timeout connect 5s
    timeout client 120s
    timeout server 120s
    backlog 4096
frontend bench
    bind 127.0.0.1:$HAPROXY$([ "${DEFER:-0}" = 1 ] && echo ' defer-accept')
    default_backend backends
backend backends
    server b1 127.0.0.1:$HTTP
CFG
      haproxy -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 & pids+=($!)
      port=$HAPROXY; main=$! ;;
    nginx)
      start_nginx_stream "    listen 127.0.0.1:$NGINX backlog=4096;
    proxy_pass 127.0.0.1:$HTTP;
    proxy_connect_timeout 5s;
    proxy_timeout 120s;" "$work/stream"
      port=$NGINX; main=$master ;;
  esac
}

declare -A rps cpu errs
targets=(direct niolb-epoll niolb-nio haproxy nginx)
proxies=("${targets[@]:1}")
for round in $(seq 1 "$ROUNDS"); do
  # the proxies take turns in an order that rotates by one each round (the harness does the same), so that no
  # proxy always runs right after the direct run's flood of connections or while the machine drifts one way
  shift_by=$(( (round - 1) % ${#proxies[@]} ))
  order=(direct "${proxies[@]:shift_by}" "${proxies[@]:0:shift_by}")
  for name in "${order[@]}"; do
    start_target "$name"
    answers "$port"
    measured=()
    if [ -n "$main" ]; then measured=("$main"); [ "$name" = nginx ] && measured+=($(children "$main")); fi
    [ "$WARMUP" -gt 0 ] && timeout $((WARMUP + 30)) wrk -t1 -c"$CONNS" -d"${WARMUP}s" -H 'Connection: close' \
      "http://127.0.0.1:$port/" >/dev/null 2>&1
    before=0; [ ${#measured[@]} -gt 0 ] && before=$(cpu_ticks "${measured[@]}")
    out=$(timeout $((SECS + 30)) wrk -t1 -c"$CONNS" -d"${SECS}s" -H 'Connection: close' "http://127.0.0.1:$port/" 2>&1)
    after=0; [ ${#measured[@]} -gt 0 ] && after=$(cpu_ticks "${measured[@]}")
    echo "$out" >"$work/wrk-$name-$round.txt"
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    key="$name,$round"
    rps[$key]=$(echo "$out" | awk '/Requests\/sec:/ {print $2}')
    errs[$key]=$(echo "$out" | awk '/Socket errors|Non-2xx/ {printf "%s ", $0}')
    cpu[$key]=$(python3 -c "import sys; t,hz,n=map(float,sys.argv[1:]); print(f'{t/hz/n*1e6:.1f}' if n else 'nan')" \
      "$((after - before))" "$CLK_TCK" "${requests:-0}")
    echo "  round $round, $name: ${rps[$key]} req/s, ${cpu[$key]} us CPU/request ${errs[$key]}" >&2
    if [ -n "$main" ]; then stop "$main"; fi
  done
done

printf '%-6s %-12s %10s %16s %14s %14s  %s\n' round target req/s "cpu us/request" "x best peer" "cpu x best" errors
for round in $(seq 1 "$ROUNDS"); do
  best=$(for p in haproxy nginx; do echo "${rps[$p,$round]} ${cpu[$p,$round]}"; done | sort -g -r | head -1)
  for name in "${targets[@]}"; do
    key="$name,$round"
    python3 -c "
import sys
name, r, c, best_r, best_c, round_, errs = sys.argv[1:]
cpu = '' if name == 'direct' else c
ratio = f'{float(r)/float(best_r):.2f}x' if name.startswith('niolb') else ''
cratio = f'{float(c)/float(best_c):.2f}x' if name.startswith('niolb') else ''
print(f'{round_:<6} {name:<12} {float(r):10.0f} {cpu:>16} {ratio:>14} {cratio:>14}  {errs}')
" "$name" "${rps[$key]}" "${cpu[$key]}" $best "$round" "${errs[$key]:-}"
  done
done
echo "(wrk -t1 -c$CONNS -H 'Connection: close', ${SECS}s after ${WARMUP}s warm-up; best peer = the faster of haproxy and nginx in the round; one proxy thread each; $(nproc) cores)"
