#!/bin/bash
# bench/fleet-rss.sh [N] — issue 15's Must show 4: one `mailcast worker`
# on PostgreSQL through an N-recipient campaign (default 10,000,000), its
# peak RSS (VmHWM) sampled every second and at the end; the target is
# < 64 MB.  A throwaway cluster (tests/helpers/pg.sh, 127.0.0.1), `mailcast
# sink --discard` on 127.0.0.1:${PORT:-26690} as the receiver, the list
# written as a CSV in a temporary folder (N lines) and imported.
# MAILCAST=path overrides build/dev's binary (a release build measures
# without ASan's shadow memory: build with the release preset first).
# SECONDS_MAX=S stops the worker (SIGTERM, a clean pause) after S seconds
# of its run when the machine is too slow for the whole campaign, and
# prints how far it got; the peak is then the peak of that part.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-10000000}
MC=${MAILCAST:-$here/build/dev/src/cli/mailcast}
PORT=${PORT:-26690}
SECONDS_MAX=${SECONDS_MAX:-0}
if [ "${IN_PG:-}" != 1 ]; then
	IN_PG=1 exec "$here/tests/helpers/pg.sh" run "$0" "$N"
fi
T=$(mktemp -d /tmp/mc-fleet-rss.XXXXXX)
sink=
cleanup() {
	[ -n "$sink" ] && kill "$sink" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
S=(--store "$MC_TEST_PG_URL")
awk -v n="$N" 'BEGIN { print "email,first_name";
	for (i = 0; i < n; i++) printf "u%d@d%d.example,N%d\n", i, i % 1000, i }' \
	>"$T/l.csv"
printf 'From: News <news@news.example>\nSubject: Hi {{first_name}}\nTo: {{email}}\n\nHello {{first_name}}.\n' >"$T/t.tmpl"
"$MC" "${S[@]}" store migrate >/dev/null
t0=$(date +%s)
"$MC" "${S[@]}" list import "$T/l.csv" --list l >/dev/null
t1=$(date +%s)
cid=$("$MC" "${S[@]}" campaign create --name big --list l --template "$T/t.tmpl" \
	--from news@news.example --relay "127.0.0.1:$PORT" --tls none)
t2=$(date +%s)
echo "# N=$N: import $((t1 - t0)) s, create $((t2 - t1)) s"
"$MC" sink --listen "127.0.0.1:$PORT" --discard --quiet &
sink=$!
"$MC_TEST_PG_BIN/psql" -q -h "$MC_TEST_PG_HOST" -p "$MC_TEST_PG_PORT" -U postgres \
	-d campaigns -c "UPDATE campaigns SET status = 'running' WHERE id = $cid"
"$MC" "${S[@]}" worker --once --poll 1 >"$T/worker.out" 2>&1 &
w=$!
peak=0 stopped=0 ticks=0
while kill -0 "$w" 2>/dev/null; do
	hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$w/status" 2>/dev/null || echo 0)
	[ "${hwm:-0}" -gt "$peak" ] && peak=$hwm
	ticks=$((ticks + 1))
	if [ $((ticks % 60)) = 0 ]; then # a line a minute: RSS now and peak
		rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$w/status" 2>/dev/null || echo 0)
		echo "#  ${ticks} s: RSS $((${rss:-0} / 1024)) MB, peak $((peak / 1024)) MB"
	fi
	if [ "$SECONDS_MAX" -gt 0 ] && [ "$ticks" -ge "$SECONDS_MAX" ] && [ "$stopped" = 0 ]; then
		kill -TERM "$w" 2>/dev/null || true
		stopped=1
	fi
	sleep 1
done
wait "$w" || true
t3=$(date +%s)
sent=$("$MC" "${S[@]}" --json campaign status "$cid" | python3 -c \
	'import json,sys; print(json.load(sys.stdin)["states"]["sent"])')
echo "# worker: $sent of $N sent in $((t3 - t2)) s$([ "$stopped" = 1 ] && echo " (stopped at SECONDS_MAX=$SECONDS_MAX)"), peak RSS (VmHWM) $((peak / 1024)) MB"
cat "$T/worker.out"
[ "$peak" -lt $((64 * 1024)) ] && { [ "$sent" = "$N" ] || [ "$stopped" = 1 ]; }
