#!/bin/bash
# campaign.sh [MAILCAST] — the engine against Postfix smtp-source, in one run.
#
# 1. N (100,000) personalised ~1 KiB messages: `mailcast broadcast` from a
#    sqlite store (durable ledger: WAL, synchronous=FULL), no DKIM, into
#    Postfix's smtp-sink at C connections (default 4); then smtp-source
#    sends N messages of the same size into the same sink at the same
#    number of connections, each reused for all of its messages (-d),
#    as the engine reuses its own.  Prints both rates and the ratio.
# 2. The same campaign with ed25519 DKIM.
# 3. Peak RSS of a 1,000,000-recipient campaign (BIG=0 skips it).
# 4. Time to the first message (from the run's "first_ms").
# Use the release build: cmake --preset release && cmake --build --preset release
# Port 26900.  Not a test: it prints figures.
set -eu
MC=${1:-build/release/src/cli/mailcast}
MC=$(realpath "$MC")
N=${N:-100000}
C=${C:-4}
BIG=${BIG:-1000000}
PORT=26900
T=$(mktemp -d /tmp/mc-bench.XXXXXX)
SINK=""
cleanup() { [ -n "$SINK" ] && kill "$SINK" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

mklist() { # FILE COUNT
	python3 - "$1" "$2" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("email,first_name,last_name,city\n")
    for i in range(int(sys.argv[2])):
        f.write("user%d@d%d.example,First%d,Last%d,City%d\n" % (i, i % 1000, i, i, i % 97))
PY
}
cat >"$T/t.tmpl" <<'TPL'
From: Bench News <news@bench.example>
Subject: {{first_name}}, your weekly bench letter
To: {{first_name}} {{last_name}} <{{email}}>

Hello {{first_name}} {{last_name}},

This is the weekly letter for {{city}}.  It is about one kilobyte long so
that the benchmark moves a realistic message: a greeting, three short
paragraphs, a footer with the unsubscribe link.

Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod
tempor incididunt ut labore et dolore magna aliqua.  Ut enim ad minim
veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea
commodo consequat.  Duis aute irure dolor in reprehenderit in voluptate.

Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia
deserunt mollit anim id est laborum.

Unsubscribe: {{unsubscribe_url}}
TPL
sink_start() {
	smtp-sink -u nobody -c 127.0.0.1:$PORT 1000 >/dev/null 2>&1 &
	SINK=$!
	for i in $(seq 50); do nc -z 127.0.0.1 $PORT 2>/dev/null && break; sleep 0.1; done
}
sink_stop() { kill "$SINK"; wait "$SINK" 2>/dev/null || true; SINK=""; }
mklist "$T/l.csv" "$N"
S="sqlite:$T/b.db"
"$MC" --store "$S" list import "$T/l.csv" --list l >/dev/null
openssl genpkey -algorithm ed25519 -out "$T/ed.pem" 2>/dev/null

sink_start
t0=$(date +%s.%N)
"$MC" --store "$S" broadcast --name plain --list l --template "$T/t.tmpl" \
	--from news@bench.example --relay 127.0.0.1:$PORT --tls none \
	--conns "$C" --quiet >"$T/plain.txt"
t1=$(date +%s.%N)
size=$("$MC" --store "$S" preview --template "$T/t.tmpl" --set email=user1@d1.example \
	--set first_name=First1 --set last_name=Last1 --set city=City1 2>/dev/null | wc -c)
# smtp-source: -m messages, -s sessions, -l size; -d: each session sends
# its messages over one connection, as the engine reuses its connections
# (the anchor at its strongest)
t2=$(date +%s.%N)
smtp-source -d -s "$C" -m "$N" -l "$size" -f news@bench.example \
	-t user@d1.example 127.0.0.1:$PORT
t3=$(date +%s.%N)
sink_stop
mc_rate=$(echo "$N / ($t1 - $t0)" | bc -l)
ss_rate=$(echo "$N / ($t3 - $t2)" | bc -l)
printf 'mailcast broadcast: %d messages (%d bytes) in %.2f s: %.0f msg/s (incl. start and report)\n' \
	"$N" "$size" "$(echo "$t1 - $t0" | bc -l)" "$mc_rate"
printf 'smtp-source -d:     %d messages in %.2f s: %.0f msg/s\n' "$N" \
	"$(echo "$t3 - $t2" | bc -l)" "$ss_rate"
printf 'ratio mailcast / smtp-source -d: %.2f\n' \
	"$(echo "$mc_rate / $ss_rate" | bc -l)"
grep -E "sent|sending time" "$T/plain.txt" | head -3

sink_start
t0=$(date +%s.%N)
"$MC" --store "$S" broadcast --name dkim --list l --template "$T/t.tmpl" \
	--from news@bench.example --relay 127.0.0.1:$PORT --tls none \
	--conns "$C" --dkim-key "$T/ed.pem" --dkim-selector s1 --quiet >"$T/dkim.txt"
t1=$(date +%s.%N)
sink_stop
printf 'with ed25519 DKIM: %.0f msg/s\n' "$(echo "$N / ($t1 - $t0)" | bc -l)"

"$MC" --store "$S" --json campaign report plain >/dev/null
first=$(python3 - "$T/b.db" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
d = db.execute("select detail from events where kind='run-end' order by id limit 1").fetchone()[0]
print(json.loads(d)["first_ms"])
PY
)
printf 'time to the first message: %.1f ms\n' "$first"

if [ "$BIG" -gt 0 ]; then
	mklist "$T/big.csv" "$BIG"
	SB="sqlite:$T/big.db"
	"$MC" --store "$SB" list import "$T/big.csv" --list big >/dev/null
	sink_start
	/usr/bin/time -f '%M' -o "$T/rss" "$MC" --store "$SB" broadcast --name big \
		--list big --template "$T/t.tmpl" --from news@bench.example \
		--relay 127.0.0.1:$PORT --tls none --conns "$C" --quiet >"$T/big.txt"
	sink_stop
	printf 'peak RSS at %d recipients: %d KiB (target < 65536)\n' "$BIG" "$(cat "$T/rss")"
	grep -E "sent|sending time" "$T/big.txt" | head -3
fi
