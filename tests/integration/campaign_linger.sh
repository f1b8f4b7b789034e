#!/bin/bash
# campaign_linger.sh MAILCAST — a dead relay must not look like a hang
# (issue 12, item 9).  Nothing listens on 127.0.0.1:26955:
#  - with --retry 1,2 --linger 5 the run ends after at most 5 s of waiting
#    for retries (from its first wait, read from the -v log's timestamps),
#    exit 75, every row left deferred; the note says why;
#  - the progress bar (on a terminal: `script` gives it one) names the
#    relay and its error next to "waiting for retries Ns";
#  - the same campaign against a live relay afterwards (mailcast sink)
#    settles every row: exit 0;
#  - --window: closed now, nothing goes out, exit 75, the campaign is
#    scheduled for the opening; open now, everything is sent, exit 0.
MC=$1
. "$(dirname "$0")/../helpers/lib.sh"
DEAD=26955
LIVE=26956
S="sqlite:$T/t.db"

printf 'email,first_name\nalice@example.test,Alice\nbob@example.test,Bob\n' \
	>"$T/l.csv"
printf 'From: News <news@news.example>\nSubject: Hi {{first_name}}\n\nhi\n' \
	>"$T/t.tmpl"
run "import" 0 "$MC" --store "$S" list import "$T/l.csv" --list l
run "create against a dead relay" 0 "$MC" --store "$S" campaign create \
	--name dead --list l --template "$T/t.tmpl" --from news@news.example \
	--relay 127.0.0.1:$DEAD --tls none --retry 1,2 --linger 5

# -v: timestamped state lines on stderr; bounded by timeout(1) (before
# the fix the run never ended)
timeout 60 "$MC" -v --store "$S" campaign start dead --quiet \
	>"$T/out" 2>"$T/err"
rc=$?
OUT=$(cat "$T/out" "$T/err")
[ $rc -eq 75 ] && pass "the run ends, exit 75" ||
	fail "the run ends, exit 75 (got $rc)" "$OUT"
has "the note says why" "why: relay 127.0.0.1:$DEAD: connection failed: cannot connect to 127.0.0.1 port $DEAD: 127.0.0.1:$DEAD: connection refused"
has "the -v log's waiting line names the error" "campaign: waiting: waiting for retries: the next is due in 1 s; relay 127.0.0.1:$DEAD: connection failed: cannot connect"
ok "it waited at most 5 s (first wait to the end, from the log)" \
	"$PY" - "$T/err" <<'PY'
import datetime, sys
def t(line):
    return datetime.datetime.strptime(line[:23], "%Y-%m-%dT%H:%M:%S.%f")
lines = open(sys.argv[1]).read().splitlines()
first = next(t(l) for l in lines if "campaign: waiting:" in l)
end = next(t(l) for l in lines if "campaign: deferred:" in l)
waited = (end - first).total_seconds()
print("  waited %.2f s" % waited)
sys.exit(0 if 4.0 <= waited <= 5.2 else 1)
PY
run "status: both rows deferred" 0 "$MC" --store "$S" campaign status dead
has "... deferred 2" "deferred     2"

# the progress bar on a terminal
timeout 60 script -qec "'$MC' --store '$S' campaign resume dead --linger 3" \
	/dev/null >"$T/tty" 2>&1
OUT=$(tr '\r' '\n' <"$T/tty")
has "bar: waiting for retries with the seconds" "waiting for retries 1s"
has "bar: names the relay and its error" " - relay 127.0.0.1:$DEAD: connection failed: cannot connect to 127.0.0.1 port $DEAD: 127.0.0.1:$DEAD: connection refused"

# a live relay: every recipient final, exit 0
mkdir -p "$T/md"
"$MC" sink --listen 127.0.0.1:$LIVE --maildir "$T/md" --quiet >/dev/null 2>&1 &
on_exit "kill $!"
wait_port $LIVE
run "resume through a live relay: exit 0" 0 "$MC" --store "$S" campaign \
	resume dead --relay 127.0.0.1:$LIVE --quiet
has "every row sent" "sent         2"

# run-due (cron) of a campaign that ends with deferred rows: scheduled
# again for when the next retry is due, so the next run-due goes on
run "create for cron" 0 "$MC" --store "$S" campaign create --name cron \
	--list l --template "$T/t.tmpl" --from news@news.example \
	--relay 127.0.0.1:$DEAD --tls none --retry 1h --linger 2
run "schedule it now + 1 s" 0 "$MC" --store "$S" campaign schedule cron \
	--at "$(date -u -d @$(($(date +%s) + 1)) +%Y-%m-%dT%H:%M:%SZ)"
sleep 2
run "run-due: deferred, exit 75" 75 "$MC" --store "$S" campaign run-due
has "... names it" "campaign 2: paused"
run "list: scheduled again, an hour on" 0 "$MC" --store "$S" --json \
	campaign list
ok "... at the next retry" "$PY" -c 'import json,sys,datetime
c=[c for c in json.loads(sys.argv[1]) if c["name"]=="cron"][0]
at=datetime.datetime.strptime(c["scheduled"],"%Y-%m-%dT%H:%M:%SZ")
d=(at-datetime.datetime.utcnow()).total_seconds()
assert 3500 < d <= 3600, d' "$OUT"

# a sending window: closed now (it opens in 2 h, UTC) -> nothing goes
# out, exit 75, scheduled for the opening; open now -> sent, exit 0
NOW=$(date +%s)
OPEN=$(date -u -d @$((NOW + 7200)) +%H:%M)
SHUT=$(date -u -d @$((NOW + 10800)) +%H:%M)
OPENS=$(date -u -d @$((NOW + 7200)) +%Y-%m-%dT%H:%M:00Z)
run "create with a window closed now" 0 "$MC" --store "$S" campaign create \
	--name win --list l --template "$T/t.tmpl" --from news@news.example \
	--relay 127.0.0.1:$LIVE --tls none --window "$OPEN-${SHUT}Z"
run "start outside the window: exit 75" 75 "$MC" --store "$S" campaign \
	start win --quiet
has "... says when it opens" "outside the sending window: it opens at $OPENS"
has "... nothing sent" "pending      2"
run "list: scheduled for the opening" 0 "$MC" --store "$S" campaign list
has "... at $OPENS" "${OPENS%Z}"
run "a window without a zone is refused" 64 "$MC" --store "$S" campaign \
	resume win --window 09:00-17:00
has "... saying how" "--window: HH:MM-HH:MM with its zone"
FROM=$(date -u -d @$((NOW - 3600)) +%H:%M)
TO=$(date -u -d @$((NOW + 3600)) +%H:%M)
run "resume inside the window (+00:00): sent, exit 0" 0 "$MC" --store "$S" \
	campaign resume win --window "$FROM-$TO+00:00" --quiet
has "every row sent" "sent         2"
finish
