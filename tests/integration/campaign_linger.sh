#!/bin/bash
# campaign_linger.sh MAILCAST — a dead relay must not look like a hang
# (issue 12, item 9).  Nothing listens on 127.0.0.1:26955:
#  - with --retry 1,2 --linger 5 the run ends after at most 5 s of waiting
#    for retries (from its first wait, read from the -v log's timestamps),
#    exit 75, every row left deferred; the note says why;
#  - the progress bar (on a terminal: `script` gives it one) names the
#    relay and its error next to "waiting for retries Ns";
#  - the same campaign against a live relay afterwards (mailcast sink)
#    settles every row: exit 0.
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
finish
