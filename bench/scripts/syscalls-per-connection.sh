#!/usr/bin/env bash
# syscalls per proxied connection (open, 64 bytes each way, close) on the proxy's event-loop thread
# Usage (from a checkout with lb-cli built; needs strace, haproxy, python3): bench/scripts/syscalls-per-connection.sh
# Counts the syscalls of niolb's event-loop thread (epoll, then nio) and of HAProxy per proxied connection over
# 1,000 sequential connections (after WARM=5000 unmeasured) through a Python echo server on 127.0.0.1:7730.
# SERVER_HOST=<an address of this host> puts the echo server there instead (a server reached at the host's own
# interface address rather than loopback); TARGETS="epoll" measures fewer targets (default: epoll nio haproxy).
set -u
SERVER_HOST=${SERVER_HOST:-127.0.0.1}
TARGETS=${TARGETS:-epoll nio haproxy}
cd "$(dirname "$0")/../.."
JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
N=1000
python3 - "$SERVER_HOST" <<'PY' &
import socket,sys,threading
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind((sys.argv[1],7730)); s.listen(512)
def h(c):
    while True:
        d=c.recv(100)
        if not d: break
        c.sendall(d)
    c.close()
while True:
    c,_=s.accept(); threading.Thread(target=h,args=(c,),daemon=True).start()
PY
ECHO=$!
sleep 1
client() {
python3 - "$1" "$2" <<'PY'
import socket,sys
port=int(sys.argv[1]); n=int(sys.argv[2])
for i in range(n):
    c=socket.create_connection(('127.0.0.1',port)); c.sendall(b'x'*64)
    got=b''
    while len(got)<64: got+=c.recv(64)
    c.close()
PY
}
count() { # name pid tid port
  # warm-up: a JVM still compiling hot methods wakes its compiler threads from the loop thread (futex, seen with
  # strace -k: CompileBroker::compile_method_base); that is start-up, not a cost per connection
  client $4 ${WARM:-5000}
  strace -c -f -p $3 -o /tmp/strace-$1.txt & S=$!; sleep 1
  client $4 $N
  sleep 0.5; kill -INT $S; wait $S 2>/dev/null
  echo "== $1 (per connection, $N connections)"
  python3 - /tmp/strace-$1.txt $N <<'PY2'
import sys,re
n=int(sys.argv[2]); tot=0
for l in open(sys.argv[1]):
    f=l.split()
    if len(f)>=5 and re.match(r'^[0-9.]+$',f[0]) and f[-1]!='total':
        calls=int(f[3]); print(f"{f[-1]} {calls/n:.2f}"); tot+=calls
print(f"total {tot/n:.2f}")
PY2
}
for t in epoll nio; do
  case " $TARGETS " in *" $t "*) ;; *) continue ;; esac
  $JAVA -Xmx256m --enable-native-access=ALL-UNNAMED --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp "lb-cli/target/lb-cli.jar:lb-cli/target/lib/*" dev.niolb.cli.Main run --listen 127.0.0.1:7731 --server "$SERVER_HOST":7730 --threads 1 --admin none --transport $t > /tmp/strace-niolb-$t.log 2>&1 &
  P=$!; sleep 4
  TID=$(grep -l "niolb-loop-0" /proc/$P/task/*/comm | head -1 | cut -d/ -f5)
  count niolb-$t $P $TID 7731
  kill $P; wait $P 2>/dev/null
done
cat > /tmp/haproxy-strace.cfg <<CFG
global
  nbthread 1
defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend f
  bind 127.0.0.1:7732
  default_backend b
backend b
  server s1 $SERVER_HOST:7730
CFG
if [[ " $TARGETS " == *" haproxy "* ]]; then
  haproxy -f /tmp/haproxy-strace.cfg -db > /tmp/haproxy-strace.log 2>&1 &
  H=$!; sleep 1
  count haproxy $H $H 7732
  kill $H
fi
kill $ECHO
