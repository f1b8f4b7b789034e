#!/bin/bash
# serve.sh [MAILCAST] — `mailcast serve` under load (issue 13, Must show 3).
#
# 1. One-click POSTs with wrk (bench/serve_oneclick.lua: each request the
#    next of NTOK real tokens, as a mailbox provider sends them) while a
#    campaign of NBIG recipients runs in the same SQLite store into a
#    discarding sink: requests/s, latency percentiles, and serve's RSS
#    (sampled every 0.5 s) before, at peak and after.
# 2. The same endpoint beside 1,000 idle slow connections (bench/
#    serve_slow.py): p50/p99/max of one-click POSTs.
# Use the release build: cmake --preset release && cmake --build --preset release
# CAMPAIGN=0: the same without the campaign, for comparison; THREADS=N:
# serve --threads N (libmicrohttpd worker threads; default 2).
# Ports 26730-26732.  Not a test: it prints figures.
set -eu
MC=${1:-build/release/src/cli/mailcast}
MC=$(realpath "$MC")
HERE=$(cd "$(dirname "$0")" && pwd)
NTOK=${NTOK:-2000}
NBIG=${NBIG:-100000}
DUR=${DUR:-10}
CONNS=${CONNS:-64}
SINK_MD=26730
SINK_BIG=26731
PORT=26732
T=$(mktemp -d /tmp/mc-serve-bench.XXXXXX)
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; done; rm -rf "$T"; }
trap cleanup EXIT
S="sqlite:$T/s.db"
M="$MC --store $S"

python3 - "$T" "$NTOK" "$NBIG" <<'PY'
import sys
d, ntok, nbig = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(d + "/u.csv", "w") as f:
    f.write("email,first_name\n")
    for i in range(ntok):
        f.write("u%d@d%d.example,U%d\n" % (i, i % 50, i))
with open(d + "/big.csv", "w") as f:
    f.write("email,first_name\n")
    for i in range(nbig):
        f.write("b%d@e%d.example,B%d\n" % (i, i % 1000, i))
PY
printf 'From: News <news@news.example>\nSubject: Hi {{first_name}}\n\nHello {{first_name}}: {{unsubscribe_url}}\n' >"$T/t.tmpl"
"$MC" sink --listen 127.0.0.1:$SINK_MD --maildir "$T/md" --quiet >/dev/null 2>&1 &
PIDS="$PIDS $!"
"$MC" sink --listen 127.0.0.1:$SINK_BIG --discard --quiet >/dev/null 2>&1 &
PIDS="$PIDS $!"
sleep 0.5
$M list import "$T/u.csv" --list u >/dev/null
$M list import "$T/big.csv" --list big >/dev/null
$M broadcast --name tokens --list u --template "$T/t.tmpl" --from news@news.example \
	--relay 127.0.0.1:$SINK_MD --tls none --quiet >/dev/null
grep -h -m1 -o 'https://news.example/unsubscribe/[a-z0-9]*' "$T"/md/new/* |
	sed 's|https://news.example||' >"$T/paths"
echo "tokens: $(wc -l <"$T/paths") real one-click paths"

# wrk's connections all come from 127.0.0.1: no per-address limit here
# (the slow clients below come from 100 addresses).
$M serve --listen 127.0.0.1:$PORT --header-timeout 60 --max-conns-per-ip 0 \
	--threads "${THREADS:-2}" \
	2>"$T/serve.log" &
SERVE=$!
PIDS="$PIDS $SERVE"
for _ in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:$PORT/healthz && break; sleep 0.1; done
rss() { awk '/^VmRSS/ {print $2}' /proc/$SERVE/status; }
echo "serve RSS at start: $(rss) kB"

CAMPAIGN=${CAMPAIGN:-1}
[ "$CAMPAIGN" = 1 ] || NBIG=1
$M campaign create --name big --list big --template "$T/t.tmpl" --from news@news.example \
	--relay 127.0.0.1:$SINK_BIG --tls none >/dev/null 2>&1
if [ "$CAMPAIGN" = 1 ]; then
	$M campaign start big --quiet >"$T/campaign.log" 2>&1 &
else
	sleep 100 & # no campaign (CAMPAIGN=0): the server alone
fi
CAMP=$!
PIDS="$PIDS $CAMP"
sleep 1
peak=0
( while kill -0 $SERVE 2>/dev/null; do r=$(rss); echo "$r"; sleep 0.5; done ) >"$T/rss" &
SAMPLER=$!
PIDS="$PIDS $SAMPLER"
sent() { $M --json campaign status big 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["states"]["sent"])' 2>/dev/null || echo "?"; }
cpu() { awk '{print $14 + $15}' /proc/$SERVE/stat; }
before=$(sent)
cpu0=$(cpu)
[ -n "${PERF:-}" ] && { perf record -g -o "$PERF" -p $SERVE -- sleep "$DUR" >/dev/null 2>&1 & }
TOKENS="$T/paths" wrk -t2 -c"$CONNS" -d"${DUR}s" --latency \
	-s "$HERE/serve_oneclick.lua" http://127.0.0.1:$PORT/ | tee "$T/wrk.out"
after=$(sent)
cpu1=$(cpu)
nreq=$(awk '/requests in/ {print $1}' "$T/wrk.out")
awk -v a="$cpu0" -v b="$cpu1" -v n="$nreq" -v hz="$(getconf CLK_TCK)" 'BEGIN {
	s = (b - a) / hz
	printf "serve CPU: %.2f s for %d requests = %.1f us per request (%.0f requests/s per core)\n", s, n, s * 1e6 / n, n / s }'
running=no
kill -0 $CAMP 2>/dev/null && running=yes
echo "campaign beside it: $before sent before wrk, $after after; still running at the end: $running"
peak=$(sort -n "$T/rss" | tail -1)
echo "serve RSS: peak $peak kB during the run; $(rss) kB after"
n_unsub=$($M list show u | grep -c unsubscribed || true)
echo "contacts of list u unsubscribed: $n_unsub of $NTOK"

echo "--- 1,000 idle slow connections ---"
python3 "$HERE/serve_slow.py" $PORT "$T/paths" 1000
echo "serve RSS with them: $(rss) kB"
kill $CAMP 2>/dev/null || true
wait $CAMP 2>/dev/null || true
kill -TERM $SERVE
wait $SERVE || true
grep -v "^$" "$T/serve.log" | tail -3
