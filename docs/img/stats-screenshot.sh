#!/usr/bin/env bash
# Makes docs/img/stats.png: `niolb demo` with some traffic, one backend drained, its stats page in headless Chromium.
#   docs/img/stats-screenshot.sh            (needs chromium: apt-get install chromium)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/docs/img/stats.png
log=$(mktemp)
profile=$(mktemp -d)
"$root/niolb" demo --listen 127.0.0.1:0 --admin 127.0.0.1:0 >"$log" 2>&1 &
demo=$!
trap 'kill $demo 2>/dev/null || true; wait $demo 2>/dev/null || true; rm -rf "$log" "$profile"' EXIT
for _ in $(seq 300); do grep -q 'Stats page:' "$log" && break; sleep 0.2; done
port=$(sed -n 's/.*listening on tcp:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -n1)
page=$(sed -n 's/.*Stats page: \(http[^ ]*\).*/\1/p' "$log" | head -n1)
# thirty short sessions that each send a line and read its echo, then three that stay open
for i in $(seq 30); do
  exec 3<>"/dev/tcp/127.0.0.1/$port"; head -n1 <&3 >/dev/null; echo "request $i" >&3; head -n1 <&3 >/dev/null; exec 3<&-
done
exec 4<>"/dev/tcp/127.0.0.1/$port" 5<>"/dev/tcp/127.0.0.1/$port" 6<>"/dev/tcp/127.0.0.1/$port"
curl -s -d state=drain "${page}api/groups/default/servers/backend-3" >/dev/null
curl -s -d weight=3 "${page}api/groups/default/servers/backend-1" >/dev/null
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
  --virtual-time-budget=4000 --window-size=1280,470 --screenshot="$out" "$page" 2>/dev/null
exec 4<&- 5<&- 6<&-
echo "wrote $out"
