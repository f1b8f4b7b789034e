#!/bin/bash
# dash-live.sh [MAILCAST] — does the dashboard's live page slow a campaign?
# (issue 14, Must show 3: "the live page keeps up with a campaign at full
# speed without slowing it by more than 5%").
#
# Each run: a fresh copy of one store of N (200,000) contacts, a campaign of
# N personalised ~1 KiB messages (durable ledger: SQLite, WAL) created on
# it, a fresh Postfix smtp-sink (as bench/campaign.sh starts it) and a fresh
# `mailcast serve`; the campaign is started by the dashboard's Start button
# (an admin logs in, the POST carries the session's CSRF token) and run by
# serve's runner at full speed into the sink.
#   A: no dashboard page open;
#   B: CLIENTS (3) live pages connected: `curl -N` on the campaign's
#      Server-Sent Events with the session cookie, reading everything,
#      from right after the start until the stream ends.
# The runs go A B A B ... (PAIRS pairs, default 3; the machine is shared
# and noisy, one pair says little).  For each run: the engine's msg/s
# (its run-end figures: sent / seconds), the wall msg/s (from the POST to
# serve's "done" line) and the 1-minute load average at its end; then the
# ratio B / A of each pair and the median (target >= 0.95), and the same
# for serve's CPU per message.  REF=1 adds to each pair R: a `campaign
# start` in a terminal on the same store copy (the same engine outside
# serve, for comparison).  WATCHED=K adds K runs W after the pairs: R with
# serve beside it and CLIENTS live pages on it (their figures come from the
# ledger: serve's CPU says what the streams cost).  PAIRS=0: no pairs.
# B's streams are checked: the last event of each must say "done" with the
# numbers of `campaign report --json`.
# Last, the time to the first message of a serve-run campaign: from the
# POST /dash/campaign/ID/start to the first message in the maildir of a
# `mailcast sink` (file mtime), and the engine's own first_ms.
# Use the release build: cmake --preset release && cmake --build --preset release
# Ports 27700-27702.  Not a test: it prints figures.
set -eu
MC=${1:-build/release/src/cli/mailcast}
MC=$(realpath "$MC")
HERE=$(dirname "$(realpath "$0")")
N=${N:-200000}
PAIRS=${PAIRS:-3}
CLIENTS=${CLIENTS:-3}
CONNS=${CONNS:-4}
REF=${REF:-0}
WATCHED=${WATCHED:-0}
SINK_PORT=27700
PORT=27701
TTFM_PORT=27702
T=$(mktemp -d /tmp/mc-dash-live.XXXXXX)
PIDS=""
SERVE=""
cleanup() {
	for p in $PIDS $SERVE; do kill "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT
U=http://127.0.0.1:$PORT
export MAILCAST_PASSWORD=bench-password-1

python3 "$HERE/mklist.py" "$T/l.csv" "$N"
cp "$HERE/letter.tmpl" "$T/t1.tmpl"
# the store every run starts from: the list and an admin
"$MC" --store "sqlite:$T/base.db" list import "$T/l.csv" --list l >/dev/null
"$MC" --store "sqlite:$T/base.db" user add bench --role admin >/dev/null
"$MC" --store "sqlite:$T/base.db" token list >/dev/null # the signing key, made once

# fresh STORE: a copy of the base store with campaign "c" of N recipients
fresh() {
	rm -f "$T/run.db" "$T/run.db-wal" "$T/run.db-shm"
	cp "$T/base.db" "$T/run.db"
	"$MC" --store "sqlite:$T/run.db" campaign create --name c --list l \
		--template "$T/t1.tmpl" --from news@bench.example \
		--relay "127.0.0.1:$1" --tls none --conns "$CONNS" >/dev/null 2>&1
	sync
}
sink_start() {
	smtp-sink -u nobody -c 127.0.0.1:$SINK_PORT 1000 >/dev/null 2>&1 &
	SINK=$!
	for _ in $(seq 50); do nc -z 127.0.0.1 $SINK_PORT 2>/dev/null && break; sleep 0.1; done
}
sink_stop() { kill "$SINK"; wait "$SINK" 2>/dev/null || true; }
serve_start() {
	"$MC" --store "sqlite:$T/run.db" serve --listen 127.0.0.1:$PORT \
		2>"$T/serve.log" &
	SERVE=$!
	for _ in $(seq 100); do curl -s -o /dev/null $U/healthz && break; sleep 0.1; done
}
serve_stop() {
	kill -TERM "$SERVE" 2>/dev/null || true
	wait "$SERVE" 2>/dev/null || true
	SERVE=""
}
# log in as the admin and read the campaign page's CSRF token into CSRF
login() {
	rm -f "$T/jar"
	curl -s -o /dev/null -c "$T/jar" -d user=bench -d "password=$MAILCAST_PASSWORD" \
		$U/dash/login
	CSRF=$(curl -s -b "$T/jar" $U/dash/campaign/1 |
		grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
	[ -n "$CSRF" ] || { echo "login failed" >&2; exit 1; }
}
# the Start button
start() {
	curl -s -o /dev/null -w '%{http_code}' -b "$T/jar" -d "csrf=$CSRF" \
		$U/dash/campaign/1/start
}
now() { date +%s.%N; }
# the run's own figures: "sent seconds first_ms"
run_end() {
	python3 - "$T/run.db" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
d = json.loads(db.execute("select detail from events where kind='run-end' order by id desc limit 1").fetchone()[0])
print(d["sent"], d["seconds"], d["first_ms"])
PY
}
load1() { cut -d' ' -f1 /proc/loadavg; }

# one serve run: KIND (A or B) -> "engine_rate wall_rate load" in $T/res.KIND.I
serve_run() {
	local kind=$1 i=$2 t0 t1 code k
	fresh $SINK_PORT
	sink_start
	serve_start
	login
	t0=$(now)
	code=$(start)
	[ "$code" = 303 ] || [ "$code" = 302 ] || { echo "start: HTTP $code" >&2; cat "$T/serve.log" >&2; exit 1; }
	if [ "$kind" = B ]; then
		for k in $(seq "$CLIENTS"); do
			curl -s -N -b "$T/jar" --max-time 600 \
				$U/dash/campaign/1/events >"$T/sse.$k" &
			eval "SSE$k=\$!"
		done
	fi
	# serve says when the run ends (no store query while it runs)
	for _ in $(seq 12000); do
		grep -q "campaign 1: \(done\|paused\)" "$T/serve.log" && break
		sleep 0.05
	done
	t1=$(now)
	if [ "$kind" = B ]; then
		for k in $(seq "$CLIENTS"); do eval "wait \$SSE$k" || true; done
	fi
	local l cpu
	l=$(load1)
	cpu=$(awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' /proc/$SERVE/stat)
	serve_stop
	sink_stop
	read -r sent secs first <<<"$(run_end)"
	[ "$sent" = "$N" ] || echo "  (run $kind$i: $sent of $N sent)"
	echo "$sent $secs $t0 $t1 $l $cpu $first" >"$T/res.$kind.$i"
	awk -v s="$sent" -v e="$secs" -v a="$t0" -v b="$t1" -v l="$l" -v k="$kind$i" \
		-v u="$cpu" -v c="$([ "$kind" = B ] && echo "$CLIENTS live pages" || echo "no page")" 'BEGIN {
		printf "  %-3s %-14s %6.0f msg/s (engine) %6.0f msg/s (wall) serve CPU %5.1f us/msg  load %s\n",
			k, c, s / e, s / (b - a), u * 1e6 / s, l }'
	[ "$kind" = B ] && check_streams
	return 0
}
# the last event of each stream against `campaign report --json`
check_streams() {
	"$MC" --store "sqlite:$T/run.db" --json campaign report 1 >"$T/report.json"
	for k in $(seq "$CLIENTS"); do
		python3 - "$T/sse.$k" "$T/report.json" "$k" <<'PY'
import json, sys
evs = [json.loads(l[6:]) for l in open(sys.argv[1]) if l.startswith("data: ")]
rep = json.load(open(sys.argv[2]))
st = rep["states"]
last = evs[-1] if evs else {}
want = {"sent": st.get("sent", 0), "deferred": st.get("deferred", 0),
        "failed": st.get("failed", 0) + st.get("bounced", 0),
        "queued": st.get("pending", 0) + st.get("inflight", 0)}
got = {k: last.get(k) for k in want}
ok = got == want and last.get("state") == "done" and last.get("final") is True
print("    stream %s: %d events, last %s %s%s" % (sys.argv[3], len(evs),
      last.get("state"), got, "" if ok else "  != report %s" % want))
PY
	done
}
# a `campaign start` in a terminal on the same store copy
ref_run() {
	local i=$1 t0 t1 l
	fresh $SINK_PORT
	sink_start
	t0=$(now)
	"$MC" --store "sqlite:$T/run.db" campaign start c --quiet >/dev/null 2>&1
	t1=$(now)
	l=$(load1)
	sink_stop
	read -r sent secs first <<<"$(run_end)"
	awk -v s="$sent" -v e="$secs" -v a="$t0" -v b="$t1" -v l="$l" -v k="R$i" 'BEGIN {
		printf "  %-3s %-14s %6.0f msg/s (engine) %6.0f msg/s (wall)  load %s\n",
			k, "campaign start", s / e, s / (b - a), l }'
}
# a `campaign start` in a terminal watched by CLIENTS live pages of a serve
# beside it (their numbers come from the ledger, not from a run of serve's)
watched_run() {
	local i=$1 t0 t1 l cpu c k
	fresh $SINK_PORT
	sink_start
	serve_start
	login
	t0=$(now)
	"$MC" --store "sqlite:$T/run.db" campaign start c --quiet >/dev/null 2>&1 &
	c=$!
	sleep 1 # running (a lease held): else a stream ends at once
	for k in $(seq "$CLIENTS"); do
		curl -s -N -b "$T/jar" --max-time 600 \
			$U/dash/campaign/1/events >"$T/sse.$k" &
		eval "SSE$k=\$!"
	done
	wait $c
	t1=$(now)
	for k in $(seq "$CLIENTS"); do eval "wait \$SSE$k" || true; done
	l=$(load1)
	cpu=$(awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' /proc/$SERVE/stat)
	serve_stop
	sink_stop
	read -r sent secs first <<<"$(run_end)"
	awk -v s="$sent" -v e="$secs" -v a="$t0" -v b="$t1" -v l="$l" -v k="W$i" -v u="$cpu" 'BEGIN {
		printf "  %-3s %-14s %6.0f msg/s (engine) %6.0f msg/s (wall) serve CPU %5.2f s  load %s\n",
			k, "+ 3 pages", s / e, s / (b - a), u, l }'
	check_streams
}

echo "$N recipients, ~1 KiB personalised, $CONNS connections, into smtp-sink; $(nproc) cores"
echo "A: serve's runner, no page open; B: the same with $CLIENTS live pages (SSE)"
for i in $(seq "$PAIRS"); do
	serve_run A "$i"
	serve_run B "$i"
	[ "$REF" = 1 ] && ref_run "$i"
done
for i in $(seq "$WATCHED"); do
	watched_run "$i"
done
for i in $(seq "$PAIRS"); do
	read -r sa ea a0 a1 _ ua _ <"$T/res.A.$i"
	read -r sb eb b0 b1 _ ub _ <"$T/res.B.$i"
	awk -v i="$i" -v sa="$sa" -v ea="$ea" -v sb="$sb" -v eb="$eb" -v ua="$ua" -v ub="$ub" \
		-v wa="$(echo "$a1 - $a0" | bc -l)" -v wb="$(echo "$b1 - $b0" | bc -l)" 'BEGIN {
		re = (sb / eb) / (sa / ea); rw = (sb / wb) / (sa / wa); rc = (ub / sb) / (ua / sa)
		printf "  pair %d: rate B/A %.3f (engine), %.3f (wall); serve CPU per message B/A %.3f\n", i, re, rw, rc
		printf "%.5f %.5f %.5f\n", re, rw, rc > "/dev/stderr" }' 2>>"$T/ratios"
done
[ "$PAIRS" -gt 0 ] && for col in 1 2 3; do
	cut -d' ' -f$col "$T/ratios" | sort -g | awk -v col=$col '
		{r[NR] = $1} END {
		m = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
		w = col == 1 ? "rate B/A (engine msg/s)" : col == 2 ? "rate B/A (wall msg/s)" : "serve CPU per message B/A"
		t = col == 3 ? "target <= 1.05" : "target >= 0.95"
		printf "median %s over %d pairs: %.3f (min %.3f, max %.3f); %s\n", w, NR, m, r[1], r[NR], t }'
done

# time to the first message: into `mailcast sink --maildir`, stopped after
# it; TTFM (3) runs
ttfm_run() {
	local t0 md
	fresh $TTFM_PORT
	md="$T/md.$1"
	"$MC" sink --listen 127.0.0.1:$TTFM_PORT --maildir "$md" --quiet >/dev/null 2>&1 &
	MDSINK=$!
	for _ in $(seq 50); do nc -z 127.0.0.1 $TTFM_PORT 2>/dev/null && break; sleep 0.1; done
	serve_start
	login
	t0=$(now)
	start >/dev/null
	for _ in $(seq 2000); do
		[ -n "$(ls -A "$md/new" 2>/dev/null)" ] && break
		sleep 0.005
	done
	sleep 0.2
	serve_stop
	kill "$MDSINK" 2>/dev/null || true
	wait "$MDSINK" 2>/dev/null || true
	python3 - "$md/new" "$t0" "$T/run.db" <<'PY2'
import json, os, sqlite3, sys
d, t0 = sys.argv[1], float(sys.argv[2])
first = min(os.stat(os.path.join(d, f)).st_mtime for f in os.listdir(d))
db = sqlite3.connect(sys.argv[3])
row = db.execute("select detail from events where kind='run-end' order by id desc limit 1").fetchone()
eng = json.loads(row[0])["first_ms"] if row else float("nan")
print("  time to the first message of a serve-run campaign: %.0f ms from the "
      "Start POST to the message in a maildir (the engine's first_ms: %.1f)"
      % ((first - t0) * 1000, eng))
PY2
}
for i in $(seq "${TTFM:-3}"); do
	ttfm_run "$i"
done
