#!/bin/bash
# campaign.sh [MAILCAST] — the engine against Postfix smtp-source, side by side.
#
# A store of N (100,000) contacts; each row below is one `mailcast broadcast`
# of N personalised messages (durable ledger: WAL; no DKIM unless said) into
# Postfix's smtp-sink at C connections, then `smtp-source -d` sending N
# messages of the same size into the same sink at the same number of
# connections, each connection reused for all of its messages (-d), as the
# engine reuses its own.  For each side: msg/s (wall, start and report
# included for mailcast) and the CPU it spent per message (user and system
# microseconds, from /usr/bin/time), then the ratio of the rates.
#   rows: 4 and 32 connections x ~1 KiB and ~50 KiB; ed25519 DKIM at 4
#   connections, 1 KiB, with render threads on every core the sink leaves
#   free (THREADS, default: cores - 1, at least 2).
# Then the time to the first message, and the peak RSS of campaigns of
# BIG (1,000,000) and HUGE (10,000,000) recipients (0 skips; the stores
# are made by bench/mkstore.sh; HUGE_SECS (60) bounds the huge run: it is
# paused with SIGTERM then, its peak RSS is over the time it ran).
# Use the release build: cmake --preset release && cmake --build --preset release
# Port 26900 (PORT).  Not a test: it prints figures.  CONNS="4 32", SIZES="1 50"
# choose the rows; REPEAT (3) runs each row that many times, the two sides
# in turn, and prints the median ratio and its spread (min-max): on a
# shared machine one run's ratio says little.
set -eu
MC=${1:-build/release/src/cli/mailcast}
MC=$(realpath "$MC")
HERE=$(dirname "$(realpath "$0")")
N=${N:-100000}
CONNS=${CONNS:-"4 32"}
SIZES=${SIZES:-"1 50"}
BIG=${BIG:-1000000}
HUGE=${HUGE:-10000000}
HUGE_SECS=${HUGE_SECS:-60}
REPEAT=${REPEAT:-3}
CORES=$(nproc)
THREADS=${THREADS:-$((CORES > 3 ? CORES - 1 : 2))}
PORT=${PORT:-26900}
T=$(mktemp -d /tmp/mc-bench.XXXXXX)
SINK=""
cleanup() { [ -n "$SINK" ] && kill "$SINK" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

mklist() { python3 "$HERE/mklist.py" "$1" "$2"; } # FILE COUNT
cp "$HERE/letter.tmpl" "$T/t1.tmpl"
# ~50 KiB: the same letter with 700 more lines of text
{
	sed '/^Unsubscribe:/d' "$T/t1.tmpl"
	for i in $(seq 700); do
		echo "Paragraph $i for {{first_name}}: sed ut perspiciatis unde omnis iste natus."
	done
	echo
	echo "Unsubscribe: {{unsubscribe_url}}"
} >"$T/t50.tmpl"

sink_start() {
	smtp-sink -u nobody -c 127.0.0.1:$PORT 1000 >/dev/null 2>&1 &
	SINK=$!
	for i in $(seq 50); do nc -z 127.0.0.1 $PORT 2>/dev/null && break; sleep 0.1; done
}
sink_stop() { kill "$SINK"; wait "$SINK" 2>/dev/null || true; SINK=""; }
# timed OUT CMD...: wall, user, sys seconds of CMD into OUT ("W U S")
timed() {
	local out=$1
	shift
	local t0 t1
	t0=$(date +%s.%N)
	/usr/bin/time -f '%U %S' -o "$out.cpu" "$@"
	t1=$(date +%s.%N)
	echo "$(echo "$t1 - $t0" | bc -l) $(tail -1 "$out.cpu")" >"$out"
}
# side LABEL FILE: "label  R msg/s  U µs user  S µs sys per message"
side() {
	read -r w u s <"$2"
	printf '  %-22s %8.0f msg/s  %6.1f µs user  %6.1f µs sys per message\n' \
		"$1" "$(echo "$N / $w" | bc -l)" "$(echo "$u * 1000000 / $N" | bc -l)" \
		"$(echo "$s * 1000000 / $N" | bc -l)"
}
ratio() {
	read -r wa _ _ <"$1"
	read -r wb _ _ <"$2"
	printf '  ratio mailcast / smtp-source -d: %.2f\n' "$(echo "$wb / $wa" | bc -l)"
	echo "$wb / $wa" | bc -l >>"$T/ratios"
}
# spread: the median and the range of the ratios of a row's runs
spread() {
	sort -g "$T/ratios" | awk '{r[NR] = $1} END {
		m = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
		printf "  ratio over %d runs: median %.2f, min %.2f, max %.2f\n",
			NR, m, r[1], r[NR] }'
}

mklist "$T/l.csv" "$N"
S="sqlite:$T/b.db"
"$MC" --store "$S" list import "$T/l.csv" --list l >/dev/null
openssl genpkey -algorithm ed25519 -out "$T/ed.pem" 2>/dev/null
size_of() {
	"$MC" --store "$S" preview --template "$1" --set email=user1@d1.example \
		--set first_name=First1 --set last_name=Last1 --set city=City1 2>/dev/null | wc -c
}
row=0
# one row: KIB CONNS LABEL [mailcast options]
bench_row() {
	local kib=$1 c=$2 label=$3 size
	shift 3
	row=$((row + 1))
	size=$(size_of "$T/t$kib.tmpl")
	echo "$label: $N messages of $size bytes, $c connections"
	: >"$T/ratios"
	for r in $(seq "$REPEAT"); do
		# each side into a sink of its own, started fresh
		sink_start
		timed "$T/mc.$row" "$MC" --store "$S" broadcast \
			--name "r$row.$r" --list l --template "$T/t$kib.tmpl" \
			--from news@bench.example --relay 127.0.0.1:$PORT \
			--tls none --conns "$c" --quiet "$@" \
			>"$T/out.$row" 2>"$T/err.$row"
		sink_stop
		sink_start
		# -m messages, -s sessions, -l size; -d: each session sends
		# its messages over one connection (the anchor at its
		# strongest)
		timed "$T/ss.$row" smtp-source -d -s "$c" -m "$N" -l "$size" \
			-f news@bench.example -t user@d1.example 127.0.0.1:$PORT
		sink_stop
		grep -qE "^ +sent +$N\$" "$T/out.$row" ||
			echo "  (not every message sent: see the report)"
		side "mailcast broadcast" "$T/mc.$row"
		side "smtp-source -d" "$T/ss.$row"
		ratio "$T/mc.$row" "$T/ss.$row"
	done
	[ "$REPEAT" -gt 1 ] && spread
	return 0
}
for kib in $SIZES; do
	for c in $CONNS; do
		bench_row "$kib" "$c" "${kib} KiB"
	done
done
bench_row 1 4 "1 KiB, ed25519 DKIM, $THREADS render threads" \
	--dkim-key "$T/ed.pem" --dkim-selector s1 --threads "$THREADS"

first=$(python3 - "$T/b.db" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
d = db.execute("select detail from events where kind='run-end' order by id limit 1").fetchone()[0]
print(json.loads(d)["first_ms"])
PY
)
printf 'time to the first message: %.1f ms (target < 200)\n' "$first"

# big NAME COUNT SECS: the peak RSS of `campaign create` and of
# `campaign start` of COUNT recipients (SECS > 0: the run is paused with
# SIGTERM after SECS seconds; its peak is over the time it ran)
big() {
	local db="$T/$1.db" pid kid
	"$HERE/mkstore.sh" "$MC" "$db" big "$2"
	/usr/bin/time -f '%M' -o "$T/$1.crss" "$MC" --store "sqlite:$db" \
		campaign create --name big --list big --template "$T/t1.tmpl" \
		--from news@bench.example --relay 127.0.0.1:$PORT --tls none \
		--conns 4 >/dev/null
	sink_start
	/usr/bin/time -f '%M' -o "$T/$1.rss" "$MC" --store "sqlite:$db" \
		campaign start big --quiet >"$T/$1.txt" 2>&1 &
	pid=$!
	if [ "$3" -gt 0 ]; then
		for i in $(seq "$3"); do kill -0 $pid 2>/dev/null || break; sleep 1; done
		kid=$(pgrep -P $pid || true)
		[ -n "$kid" ] && kill -TERM $kid
	fi
	wait $pid || true
	sink_stop
	printf 'peak RSS at %d recipients: create %d KiB, run %d KiB (target < 65536)%s\n' \
		"$2" "$(tail -1 "$T/$1.crss")" "$(tail -1 "$T/$1.rss")" \
		"$([ "$3" -gt 0 ] && echo ", over the run's first $3 s")"
	grep -E "^ +(sent|pending) " "$T/$1.txt" | head -2 || true
	rm -f "$db" "$db-wal" "$db-shm"
}
[ "$BIG" -gt 0 ] && big big "$BIG" 0
[ "$HUGE" -gt 0 ] && big huge "$HUGE" "$HUGE_SECS"
exit 0
