#!/bin/bash
# inet_run.sh MODE TAG DIR MAILCAST OUT -- one delivery of the lab's list.
#
# MODE: x1 (mailcast --direct, one run, SQLite), x3 (three `mailcast
# worker`s in the sender namespace on one PostgreSQL store), postfix (a
# private Postfix instance in the sender namespace, messages injected with
# sendmail).  The lab (inetlab.sh up TAG DIR ...) must be up; DIR holds
# list.csv and expect.tsv (inet_gen.py).  The same settings for all:
# 4 connections per destination, retries after 5, 10, 20 s, given up after
# 60 s, 5 s SMTP waits.  Connections open at once per sending host:
# mailcast INET_BUDGET (--total-conns, default 20; x3: each worker's),
# Postfix INET_POSTFIX_PROCS (its process limit: smtp clients of one
# connection each; default 100, Postfix's own default -- at 20 its
# scheduler's round robin over 2,000 domains reuses no connection and it
# managed 13 messages/s here).  The clock runs from the start of sending (Postfix:
# the first injection) to the moment every recipient is in a final state
# its domain allows (inet_check.py --settled: dead hosts may still be
# deferred); then the sender is stopped.  Writes OUT/states.tsv (address,
# state) and OUT/result ("MODE SECONDS"); exit 1 when it did not settle
# within INET_RUN_MAX seconds (default 1800).
set -u
MODE=${1:?mode} TAG=${2:?tag} DIR=${3:?dir} MC=${4:?mailcast} OUT=${5:?out}
HERE=$(cd "$(dirname "$0")" && pwd)
MAX=${INET_RUN_MAX:-1800}
BUDGET=${INET_BUDGET:-20}
PF_PROCS=${INET_POSTFIX_PROCS:-100}
NS="$HERE/inetlab.sh exec $TAG snd"
SET=(--direct --dns-server 10.91.0.2:53 --tls none --timeout 5000
	--retry 5,10,20 --max-age 60 --linger 120 --conns 4
	--total-conns "$BUDGET")
rm -rf "$OUT"
mkdir -p "$OUT"
printf 'From: News <news@sender.test>\nSubject: Hello {{first_name}}\n\nHello {{first_name}}, this is the lab letter.\n' >"$OUT/t.txt"
PIDS=""
STOP=""
cleanup() {
	local p
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	[ -n "$STOP" ] && eval "$STOP"
	return 0
}
trap cleanup EXIT

now() { date +%s.%N; }

# states OUT/states.tsv from the sender's own record
states() {
	case $MODE in
	x1 | x3)
		"$MC" --store "$STORE" campaign who 1 --json 2>/dev/null |
		    python3 -c '
import json, sys
for r in json.load(sys.stdin):
    print("%s\t%s\t%s\t%s" % (r["address"], r["state"], (r.get("reply") or "").replace("\t", " "), r.get("attempts")))' 2>/dev/null >"$OUT/states.tsv.new" &&
		    mv "$OUT/states.tsv.new" "$OUT/states.tsv"
		;;
	postfix)
		python3 "$HERE/inet_check.py" --postfix-log "$PF/maillog" \
		    >"$OUT/states.tsv"
		;;
	esac
}

# wait until inet_check.py says settled; bounded by MAX
settle() {
	local t0=$1 i
	for i in $(seq 1 "$MAX"); do
		states
		if python3 "$HERE/inet_check.py" --settled "$DIR/expect.tsv" \
		    "$OUT/states.tsv" 2>/dev/null; then
			python3 -c "import sys; print('%s %.1f' % (sys.argv[1], float(sys.argv[3]) - float(sys.argv[2])))" \
			    "$MODE" "$t0" "$(now)" >"$OUT/result"
			return 0
		fi
		sleep 1
	done
	echo "$MODE did not settle in $MAX s" >&2
	return 1
}

case $MODE in
x1)
	STORE="sqlite:$OUT/db"
	"$MC" --store "$STORE" list import "$DIR/list.csv" --list L \
	    >"$OUT/import.out" 2>&1 || { cat "$OUT/import.out"; exit 1; }
	t0=$(now)
	$NS timeout "$((MAX + 60))" "$MC" --store "$STORE" broadcast --list L \
	    --template "$OUT/t.txt" --from news@sender.test --quiet "${SET[@]}" \
	    >"$OUT/run.out" 2>&1 &
	PIDS="$!"
	settle "$t0" || exit 1
	;;
x3)
	PGD="$OUT/pg"
	PGPORT=${INET_PG_PORT:-30432}
	BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
	mkdir -p "$PGD"
	chown postgres "$PGD"
	AS=(runuser -u postgres --)
	"${AS[@]}" "$BIN/initdb" -D "$PGD/data" -U postgres --auth=trust \
	    -E UTF8 --locale=C.UTF-8 >"$OUT/initdb.log" 2>&1 ||
	    { cat "$OUT/initdb.log"; exit 1; }
	# listens inside the sender namespace: the workers run there
	$NS "${AS[@]}" "$BIN/pg_ctl" -D "$PGD/data" -l "$PGD/server.log" -w \
	    -o "-h 127.0.0.1 -p $PGPORT -k $PGD -c max_connections=200 -c fsync=off -c synchronous_commit=off" \
	    start >/dev/null || { cat "$PGD/server.log"; exit 1; }
	STOP="runuser -u postgres -- $BIN/pg_ctl -D $PGD/data -m immediate -w stop >/dev/null 2>&1"
	$NS "${AS[@]}" "$BIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres campaigns
	STORE="postgresql://postgres@127.0.0.1:$PGPORT/campaigns"
	MCN="$NS $MC"
	$MCN --store "$STORE" store migrate >"$OUT/migrate.out" 2>&1 ||
	    { cat "$OUT/migrate.out"; exit 1; }
	$MCN --store "$STORE" list import "$DIR/list.csv" --list L \
	    >"$OUT/import.out" 2>&1 || { cat "$OUT/import.out"; exit 1; }
	$MCN --store "$STORE" campaign create --name inet --list L --template "$OUT/t.txt" \
	    --from news@sender.test "${SET[@]}" >"$OUT/create.out" 2>&1 ||
	    { cat "$OUT/create.out"; exit 1; }
	t0=$(now)
	for w in 1 2 3; do
		$NS timeout "$((MAX + 60))" "$MC" --store "$STORE" worker \
		    --poll 1 --total-conns "$BUDGET" >"$OUT/worker$w.out" 2>&1 &
		PIDS="$PIDS $!"
	done
	# running: the workers take it (as tests/integration/fleet_chaos.py)
	$NS "${AS[@]}" "$BIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -q \
	    -d campaigns -c "UPDATE campaigns SET status = 'running' WHERE id = 1" ||
	    exit 1
	states() {
		$MCN --store "$STORE" campaign who 1 --json 2>/dev/null |
		    python3 -c '
import json, sys
for r in json.load(sys.stdin):
    print("%s\t%s\t%s\t%s" % (r["address"], r["state"], (r.get("reply") or "").replace("\t", " "), r.get("attempts")))' 2>/dev/null >"$OUT/states.tsv.new" &&
		    mv "$OUT/states.tsv.new" "$OUT/states.tsv"
	}
	settle "$t0" || exit 1
	;;
postfix)
	PF="$OUT/postfix"
	mkdir -p "$PF"/{etc,spool,data}
	# Debian's master.cf without any listener and without chroot
	sed -e '/^smtp[[:space:]]\+inet/d' -e '/^submission\|^smtps/d' \
	    -e 's/^\([a-z]\+[[:space:]]\+unix[[:space:]]\+[-n][[:space:]]\+[-n][[:space:]]\+\)y/\1n/' \
	    /etc/postfix/master.cf >"$PF/etc/master.cf"
	# the injection listener: SMTP on the namespace's loopback (cheaper
	# than a sendmail process per message: Postfix at its best)
	echo "127.0.0.1:2525 inet n - n - - smtpd" >>"$PF/etc/master.cf"
	cat >"$PF/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $PF/spool
data_directory = $PF/data
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
myhostname = sender.test
mydomain = sender.test
myorigin = sender.test
mydestination =
inet_interfaces = loopback-only
mynetworks = 127.0.0.0/8
inet_protocols = ipv4
relayhost =
smtp_tls_security_level = none
# the same limits as mailcast's: 4 connections per destination (Postfix's
# destination is the domain, mailcast's the MX host set), retries after
# 5 s doubling to 20 s, 5 s SMTP waits; its own process limit (above)
default_process_limit = $PF_PROCS
default_destination_concurrency_limit = 4
initial_destination_concurrency = 4
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 20s
# mailcast's --max-age counts from a row's first attempt, Postfix's queue
# lifetime from the injection: with the whole list queued at once a
# message may wait minutes for its first try, so 60 s here would expire
# greylisted mail that was tried once (it did: 4,467 of 5,000 at 100,000)
maximal_queue_lifetime = 1h
bounce_queue_lifetime = 1h
smtp_connect_timeout = 5s
smtp_helo_timeout = 5s
smtp_mail_timeout = 5s
smtp_rcpt_timeout = 5s
smtp_data_init_timeout = 5s
smtp_data_xfer_timeout = 5s
smtp_data_done_timeout = 5s
CF
	postfix -c "$PF/etc" set-permissions >/dev/null 2>&1 || true
	$NS script -qec "postfix -c $PF/etc check" /dev/null >"$OUT/check.out" 2>&1
	$NS script -qec "postfix -c $PF/etc start" /dev/null >"$OUT/start.out" 2>&1 ||
	    { cat "$OUT/start.out"; exit 1; }
	STOP="postfix -c $PF/etc stop >/dev/null 2>&1"
	t0=$(now)
	# over SMTP, 4 sessions; null sender: the bounces of null MX and
	# NXDOMAIN are not mailed
	$NS python3 - "$DIR/expect.tsv" <<'PY' || exit 1
import smtplib, sys, threading
rcpts = [l.split("\t")[0] for l in open(sys.argv[1]) if l.strip()]
def inject(part):
    s = smtplib.SMTP("127.0.0.1", 2525, timeout=60)
    for r in part:
        s.sendmail("", [r], "To: %s\r\nSubject: Hello x\r\n\r\n"
                   "Hello x, this is the lab letter.\r\n" % r)
    s.quit()
ts = [threading.Thread(target=inject, args=(rcpts[k::4],)) for k in range(4)]
for t in ts: t.start()
for t in ts: t.join()
PY
	settle "$t0" || exit 1
	;;
*)
	echo "inet_run.sh: no mode $MODE" >&2
	exit 2
	;;
esac
python3 "$HERE/inet_check.py" --wrong "$DIR/expect.tsv" "$OUT/states.tsv" \
    >"$OUT/wrong"
echo "$(cat "$OUT/result") $(head -1 "$OUT/wrong")"
