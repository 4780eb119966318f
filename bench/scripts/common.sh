# What the scripts beside it share; sourced, not run: `. "$(dirname "$0")/common.sh" NAME`.
# Sets top (the project), work (a temporary directory, removed at exit), JAVA and CP (niolb's class path, or
# NIOLB_CP), and pids, where every process a script starts goes, so that each is ended by its PID at exit.
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "/tmp/niolb-$1.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do timeout 10 tail --pid="$p" -f /dev/null 2>/dev/null || kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
JAVA=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
[ -x "$JAVA" ] || JAVA=java
CP=${NIOLB_CP:-$top/lb-cli/target/lb-cli.jar:$top/lb-cli/target/lib/*}
[ -f "$top/lb-cli/target/lb-cli.jar" ] || [ -n "${NIOLB_CP:-}" ] || { echo "build niolb first (see the header)" >&2; exit 1; }
CLK_TCK=$(getconf CLK_TCK)

cpu_ticks() { # utime+stime of the PIDs given, in clock ticks
  local sum=0 p f
  for p in "$@"; do
    f=$(sed 's/^.*) //' "/proc/$p/stat") # after the command name, which may hold spaces
    set -- $f; sum=$((sum + ${12} + ${13})) # fields 14 and 15 of the whole line
  done
  echo $sum
}

stop() { # ends one process started here, by PID, and waits for it
  kill "$1" 2>/dev/null || true
  timeout 15 tail --pid="$1" -f /dev/null 2>/dev/null || kill -9 "$1" 2>/dev/null || true
}

children() { cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -v '^$' || true; } # nginx's workers

NGINX_STREAM_MODULE=/usr/lib/nginx/modules/ngx_stream_module.so
have_nginx_stream() { command -v nginx >/dev/null && [ -f $NGINX_STREAM_MODULE ]; }

start_nginx_stream() { # "SERVER LINES" [DIR=$work] [WORKERS=1]: writes DIR/nginx.conf, one stream server of those
  local dir=${2:-$work} workers=${3:-1} # lines, starts nginx and sets master (its workers: children "$master")
  mkdir -p "$dir"
  {
    cat <<CFG
load_module $NGINX_STREAM_MODULE;
daemon off;
master_process on;
worker_processes $workers;
worker_rlimit_nofile 20000;
pid $dir/nginx.pid;
error_log $dir/nginx-error.log warn;
events { worker_connections 8192; }
stream {
  server {
CFG
    printf '%s\n  }\n}\n' "$1"
  } >"$dir/nginx.conf"
  nginx -c "$dir/nginx.conf" -p "$dir" >/dev/null 2>&1 & pids+=($!)
  master=$!
}
