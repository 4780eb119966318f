#!/usr/bin/env bash
# DNS queries per second through niolb (epoll and nio transports) and nginx stream UDP, and straight to the server.
#   bench/scripts/dns-through-proxies.sh [SECONDS=10] [CLIENTS=1] [OUTSTANDING=100] [WARMUP=3]
# dnsmasq answers from --address on 127.0.0.1 (no upstream, no hosts file); dnsperf sends to each target in turn
# for SECONDS (after WARMUP seconds not counted, so that niolb's JIT has compiled its path). Each proxy runs with
# one thread (niolb --threads 1, nginx worker_processes 1) and is started just before its turn and stopped after,
# so that only one proxy uses the two cores at a time. Prints queries/s, average latency, the proxy's CPU seconds
# per 100k queries (utime+stime from /proc/PID/stat, its worker for nginx) and niolb's ratios to nginx.
# Needs dnsperf, dnsmasq, dig and nginx with ngx_stream_module (absent nginx is skipped). Build niolb first:
#   /work/bin/mvnq -B -q -o -pl lb-core,lb-cli -am package -DskipTests
# NIOLB_CP overrides the class path of niolb (to compare two builds). Everything runs on 127.0.0.1 with fixed ports
# below 32768, is bounded in time, and every process started here is ended by its PID.
set -euo pipefail
SECS=${1:-10}; CLIENTS=${2:-1}; OUTSTANDING=${3:-100}; WARMUP=${4:-3}
. "$(dirname "$0")/common.sh" dns
for tool in dnsperf dnsmasq dig; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (apt-get install dnsperf dnsmasq dnsutils)" >&2; exit 1; }
done
DNS=15301; EPOLL=15302; NIO=15303; NGINX=15304

dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --no-poll --bind-interfaces \
  --listen-address=127.0.0.1 --port=$DNS --address=/bench.test/192.0.2.1 --cache-size=10000 \
  --dns-forward-max=10000 --pid-file="$work/dnsmasq.pid" --user="$(id -un)" --log-facility="$work/dnsmasq.log" \
  >/dev/null 2>&1 & pids+=($!)
dnsmasq_pid=$!

for i in $(seq 1 1000); do printf 'host%d.bench.test A\n' "$i"; done >"$work/queries"

answers() { # waits (up to 10 s) until port $1 answers a DNS query
  for _ in $(seq 1 100); do
    dig @127.0.0.1 -p "$1" host1.bench.test +time=1 +tries=1 +short 2>/dev/null | grep -q 192.0.2.1 && return 0
    sleep 0.1
  done
  echo "nothing answers DNS on port $1" >&2; return 1
}

declare -A qps lat cpu
run() { # run NAME PORT PID...: warm-up, then a measured dnsperf run; the PIDs' CPU over the measured run
  local name=$1 port=$2; shift 2
  answers "$port"
  [ "$WARMUP" -gt 0 ] && timeout $((WARMUP + 30)) dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries" -l "$WARMUP" \
    -c "$CLIENTS" -q "$OUTSTANDING" >/dev/null 2>&1
  local before after out
  before=$(cpu_ticks "$@")
  out=$(timeout $((SECS + 30)) dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries" -l "$SECS" -c "$CLIENTS" \
    -q "$OUTSTANDING" 2>&1)
  after=$(cpu_ticks "$@")
  echo "$out" >"$work/dnsperf-$name.txt"
  qps[$name]=$(echo "$out" | awk '/Queries per second:/ {print $4}')
  lat[$name]=$(echo "$out" | awk '/Average Latency/ {print $4}')
  local completed; completed=$(echo "$out" | awk '/Queries completed:/ {print $3}')
  cpu[$name]=$(python3 -c "import sys; t,hz,n=map(float,sys.argv[1:]); print(f'{t/hz/n*1e5:.3f}' if n else 'nan')" \
    "$((after - before))" "$CLK_TCK" "${completed:-0}")
  local lost; lost=$(echo "$out" | awk '/Queries lost:/ {print $3}')
  echo "  $name: ${qps[$name]} q/s, lost ${lost:-?}" >&2
}

names=(direct)
run direct $DNS "$dnsmasq_pid"

for transport in epoll nio; do
  port=$EPOLL; [ $transport = nio ] && port=$NIO
  # the JVM options of the distribution's launcher (lb-cli/src/dist/lib/launcher.sh)
  "$JAVA" -Xms64m -Xmx512m -XX:MaxDirectMemorySize=512m -XX:+UseZGC --add-exports java.base/jdk.internal.misc=ALL-UNNAMED \
    --enable-native-access=ALL-UNNAMED -cp "$CP" dev.niolb.cli.Main run --listen "udp://127.0.0.1:$port" \
    --server "127.0.0.1:$DNS" --transport $transport --threads 1 --udp-responses 1 \
    >"$work/niolb-$transport.log" 2>&1 & pids+=($!)
  pid=$!
  run "niolb-$transport" $port $pid
  names+=("niolb-$transport")
  stop $pid
done

if have_nginx_stream; then
  start_nginx_stream "    listen 127.0.0.1:$NGINX udp;
    proxy_pass 127.0.0.1:$DNS;
    proxy_responses 1;
    proxy_timeout 10s;"
  answers $NGINX
  workers=$(children "$master")
  # shellcheck disable=SC2086
  run nginx $NGINX $master $workers
  names+=(nginx)
  stop $master
else
  echo "nginx with ngx_stream_module is not installed: no nginx row" >&2
fi

printf '%-12s %10s %12s %16s\n' target queries/s "avg lat ms" "cpu s/100k q"
for n in "${names[@]}"; do
  python3 -c "import sys; q,l,c=sys.argv[2:]; print(f'{sys.argv[1]:<12} {float(q):10.0f} {float(l)*1e3:12.3f} {c:>16}')" \
    "$n" "${qps[$n]}" "${lat[$n]}" "${cpu[$n]}"
done
if [ -n "${qps[nginx]:-}" ]; then
  for t in niolb-epoll niolb-nio; do
    python3 -c "import sys; q,qn,c,cn=map(float,sys.argv[2:]); print(f'{sys.argv[1]}/nginx: {q/qn:.2f}x queries/s, {c/cn:.2f}x CPU per query')" \
      "$t" "${qps[$t]}" "${qps[nginx]}" "${cpu[$t]}" "${cpu[nginx]}"
  done
fi
echo "(dnsperf -c $CLIENTS -q $OUTSTANDING, ${SECS}s after ${WARMUP}s warm-up; one proxy thread each; $(nproc) cores)"
