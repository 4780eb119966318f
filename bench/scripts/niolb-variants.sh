#!/usr/bin/env bash
# Several niolb variants (other JVM options, or another build) side by side with the peers in one harness run.
#   bench/scripts/niolb-variants.sh [-s SCENARIOS=connrate] [-r ROUNDS=5] [-p PEERS=haproxy,nginx] VARIANT...
# A VARIANT is NAME=JVM-OPTIONS or NAME@BUILD=JVM-OPTIONS, where BUILD is another checkout's lb-cli/target (a
# build before a change); options are separated by commas or spaces:
#   bench/scripts/niolb-variants.sh zgc=-XX:+UseZGC parallel=-XX:+UseParallelGC
#   bench/scripts/niolb-variants.sh -s connrate,rr,udp base@/tmp/old/lb-cli/target= new=
# The machine's load moves every target's figures from round to round by more than most changes are worth; in
# one run the harness rotates the targets' order each round, so a variant is best read against the others of
# the same round (the per-round lines printed at the end), not against another run. Each variant runs
# `run --threads 1 --backlog 4096 --admin none` (as the harness's own niolb) with the launcher's heap sizes,
# -XX:+UseCompactObjectHeaders and its options (a GC named there replaces the default ZGC). Fixed ports below
# 32768 on 127.0.0.1; every process started here is ended by its PID. Build niolb and the bench module first:
#   mvn -B -q -o -pl lb-core,lb-cli,bench -am package -DskipTests
set -euo pipefail
SCENARIOS=connrate; ROUNDS=5; PEERS=haproxy,nginx
while getopts s:r:p: opt; do
  case $opt in
    s) SCENARIOS=$OPTARG ;; r) ROUNDS=$OPTARG ;; p) PEERS=$OPTARG ;;
    *) sed -n 3p "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "give at least one variant, NAME=JVM-OPTIONS (see the header of $0)" >&2; exit 2; }
[ $# -le 9 ] || { echo "at most 9 variants" >&2; exit 2; }
. "$(dirname "$0")/common.sh" variants
[ -f "$top/bench/target/benchmarks.jar" ] || { echo "build the bench module first (see the header)" >&2; exit 1; }

BACKEND=15600 # the harness's backends, TCP and UDP; variant i listens on 15610+i (TCP) and 15620+i (UDP)
targets=(); names=()
i=0
for spec in "$@"; do
  name=${spec%%=*}; opts=${spec#*=}; opts=${opts//,/ }
  [ "$name" != "$spec" ] || { echo "not NAME=JVM-OPTIONS: $spec" >&2; exit 2; }
  cp=$CP
  if [[ $name == *@* ]]; then build=${name#*@}; name=${name%%@*}; cp="$build/lb-cli.jar:$build/lib/*"
    [ -f "$build/lb-cli.jar" ] || { echo "no lb-cli.jar in $build" >&2; exit 2; }
  fi
  [[ $name =~ ^[a-z][a-z0-9-]*$ ]] || { echo "a variant's name is lower-case letters, digits and '-': $name" >&2; exit 2; }
  gc=-XX:+UseZGC; [[ $opts =~ -XX:[+]Use[A-Za-z0-9]*GC ]] && gc=
  # shellcheck disable=SC2086 # the options are words
  "$JAVA" -Xms64m -Xmx512m -XX:MaxDirectMemorySize=512m $gc -XX:+UseCompactObjectHeaders $opts \
    --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --enable-native-access=ALL-UNNAMED -cp "$cp" \
    dev.niolb.cli.Main run --listen 127.0.0.1:$((15610 + i)) --listen udp://127.0.0.1:$((15620 + i)) \
    --server 127.0.0.1:$BACKEND --threads 1 --backlog 4096 --admin none >"$work/$name.log" 2>&1 & pids+=($!)
  names+=("$name")
  targets+=(--target "$name=127.0.0.1:$((15610 + i)),udp=127.0.0.1:$((15620 + i)),pid=$!")
  i=$((i + 1))
done
for ((j = 0; j < i; j++)); do # each variant listens before the run starts (its start line), or the run does not start
  for _ in $(seq 1 200); do
    grep -q 'listening on' "$work/${names[j]}.log" && continue 2
    kill -0 "${pids[j]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "variant ${names[j]} did not start; its log:" >&2; cat "$work/${names[j]}.log" >&2; exit 1
done

"$top/niolb-bench" --scenarios "$SCENARIOS" --rr max --rounds "$ROUNDS" --backend-port $BACKEND \
  --backend-udp-port $BACKEND "${targets[@]}" --targets "$PEERS" | tee "$work/bench.log"
echo
echo "per round:"
grep -E '^\[[a-z-]+\] round' "$work/bench.log" | sed -E 's/ +p50 µs.*proxy CPU µs/  CPU µs/'
