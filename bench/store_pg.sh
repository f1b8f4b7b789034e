#!/bin/bash
# store_pg.sh [MAILCAST] — the same work on both store backends, one run:
# import N (50,000) generated rows, then send them as one campaign into
# `mailcast sink --discard` (4 connections), first on SQLite, then on a
# throwaway PostgreSQL cluster (tests/helpers/pg.sh: fsync off, on this
# machine); then the campaign again on PostgreSQL with three workers
# beside the first run.  Prints wall times and rows/s.  Not a test.
# Use the release build: cmake --preset release && cmake --build --preset release
# Port 26910.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
MC=$(realpath "${1:-$here/build/release/src/cli/mailcast}")
if [ -z "${MC_TEST_PG_URL:-}" ]; then
	exec "$here/tests/helpers/pg.sh" run "$0" "$MC"
fi
N=${N:-50000}
PORT=26910
T=$(mktemp -d /tmp/mc-bench-pg.XXXXXX)
SINK=""
cleanup() { [ -n "$SINK" ] && kill "$SINK" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
awk -v n="$N" 'BEGIN { print "email,first_name";
	for (i = 1; i <= n; i++) printf "u%d@d%d.example,F%d\n", i, i % 500, i }' >"$T/l.csv"
printf 'From: News <news@news.example>\nSubject: Hi {{first_name}}\nTo: {{email}}\n\nHello {{first_name}}.\n' >"$T/t.tmpl"
"$MC" sink --listen "127.0.0.1:$PORT" --discard --quiet &
SINK=$!
sleep 0.5
echo "N=$N; load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
now() { date +%s.%N; }
rate() { awk -v n="$N" -v a="$1" -v b="$2" 'BEGIN { printf "%.1f s, %.0f rows/s", b - a, n / (b - a) }'; }
bench() { # NAME URL
	local t0 t1 t2
	t0=$(now)
	"$MC" --store "$2" list import "$T/l.csv" --list l >/dev/null
	t1=$(now)
	"$MC" --store "$2" campaign create --name c --list l --template "$T/t.tmpl" \
	    --from news@news.example --relay "127.0.0.1:$PORT" --tls none \
	    --conns 4 >/dev/null
	"$MC" --store "$2" campaign start c --quiet >/dev/null
	t2=$(now)
	echo "$1: import $(rate "$t0" "$t1"); campaign $(rate "$t1" "$t2")"
}
bench sqlite "sqlite:$T/s.db"
bench postgresql "$MC_TEST_PG_URL"
# three workers beside a run on a second campaign of the same list
"$MC" --store "$MC_TEST_PG_URL" campaign create --name c3 --list l \
    --template "$T/t.tmpl" --from news@news.example \
    --relay "127.0.0.1:$PORT" --tls none --conns 4 >/dev/null
t0=$(now)
"$MC" --store "$MC_TEST_PG_URL" campaign start c3 --quiet >/dev/null &
run=$!
sleep 0.3
pids=$run
for i in 1 2 3; do
	"$MC" --store "$MC_TEST_PG_URL" worker --once >/dev/null &
	pids="$pids $!"
done
wait $pids
t1=$(now)
echo "postgresql, a run + 3 workers: campaign $(rate "$t0" "$t1")"
"$MC" --store "$MC_TEST_PG_URL" campaign status c3 | head -3
