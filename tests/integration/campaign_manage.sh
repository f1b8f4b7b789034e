#!/bin/bash
# campaign_manage.sh MAILCAST — a list owner's campaign management through
# the CLI against a real Postfix relay (tests/helpers/postfix.sh on
# 127.0.0.1:26951; alice@example.test has a Maildir):
#  - the template and its attachment are frozen at create: an edit and a
#    deletion of the files after create change nothing that arrives;
#  - campaign list [--json], show (settings, frozen template), clone,
#    delete (refused while a run is live, exit 75);
#  - campaign test --to --as: rendered for that contact, "[test] " and
#    X-Mailcast-Test: yes, through the relay, the ledger untouched;
#  - campaign schedule --at (ISO 8601 with zone; the past and no zone
#    refused), list shows it, run-due starts what is due and only that;
#  - report --csv and --json; durations with units (--timeout 30s).
MC=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../helpers/lib.sh"
PORT=26951
DEAD=26952 # nothing listens here
PF=$T/pf
S="sqlite:$T/t.db"
sh "$HERE/../helpers/certs.sh" "$PF" >/dev/null 2>&1
if ! "$HERE/../helpers/postfix.sh" start "$PF" $PORT >"$T/pf.out" 2>&1; then
	fail "postfix starts" "$(cat "$T/pf.out")"
	finish
fi
on_exit "'$HERE/../helpers/postfix.sh' stop '$PF' $PORT"
wait_port $PORT
BOX=$PF/vmail/alice/Maildir/new
# how many messages alice has; wait until she has $1 (Postfix is async)
box_n() { find "$BOX" -type f 2>/dev/null | wc -l; }
box_wait() {
	i=0
	while [ "$(box_n)" -lt "$1" ] && [ $i -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(box_n)" -ge "$1" ]
}
# the message of alice's that contains $1
box_grep() { grep -l -- "$1" "$BOX"/* 2>/dev/null | head -1; }

mkdir -p "$T/src"
printf 'email,first_name\nalice@example.test,Alice\nbob@example.test,Bob\n' \
	>"$T/l.csv"
printf 'PRICE-LIST-V1' >"$T/src/price.pdf"
cat >"$T/src/news.tmpl" <<'TPL'
From: News <news@news.example>
Subject: Hello {{first_name}}
Attach: price.pdf

Hello {{first_name}}, version one.
TPL
run "import the list" 0 "$MC" --store "$S" list import "$T/l.csv" --list l
run "create (durations: --timeout 30s, --linger 2m)" 0 "$MC" --store "$S" \
	campaign create --name news --list l --template "$T/src/news.tmpl" \
	--from news@news.example --relay 127.0.0.1:$PORT --tls none \
	--timeout 30s --linger 2m
run "a duration without a known unit is refused" 64 "$MC" --store "$S" \
	campaign create --name bad --list l --template "$T/src/news.tmpl" \
	--from news@news.example --relay 127.0.0.1:$PORT --timeout 30x
has "... saying the units" "--timeout: a duration from 100ms to 1h (30s, 500ms; a bare number is milliseconds)"

# the files change after create: nothing of that may ship
sed -i 's/version one/EDITED AFTER CREATE/' "$T/src/news.tmpl"
rm "$T/src/price.pdf"

run "show" 0 "$MC" --store "$S" campaign show news
has "show: the frozen text" "Hello {{first_name}}, version one."
lacks "show: not the edit" "EDITED"
has "show: the attachment" "attachment price.pdf (13 octets)"
has "show: the settings, timeout in ms" '"timeout": 30000'
has "show: linger in s" '"linger": 120'
run "list" 0 "$MC" --store "$S" campaign list
has "list: the campaign" "   1  draft             2"
run "clone" 0 "$MC" --store "$S" campaign clone 1
has "clone prints the new id" "2"
run "list --json" 0 "$MC" --store "$S" --json campaign list
ok "list --json: two campaigns, the clone named news-copy, 2 pending" \
	"$PY" -c 'import json,sys; a=json.loads(sys.argv[1]);
assert [c["name"] for c in a]==["news","news-copy"], a
assert a[1]["states"]["pending"]==2 and a[1]["recipients"]==2' "$OUT"
run "the clone has the frozen files too" 0 "$MC" --store "$S" --json \
	campaign show 2
ok "show --json: frozen text and attachment" "$PY" -c 'import json,sys
t=json.loads(sys.argv[1])["template"]
assert t["frozen"] and "version one" in t["text"], t
assert t["attachments"]==[{"name":"price.pdf","bytes":13}], t' "$OUT"

# a test send: rendered for bob, to alice, marked, never in the ledger
run "test --to alice --as bob" 0 "$MC" --store "$S" campaign test 1 \
	--to alice@example.test --as bob@example.test
has "test: says what it did" "test to alice@example.test as bob@example.test via 127.0.0.1:$PORT: 250"
ok "the test arrived" box_wait 1
M=$(box_grep "X-Mailcast-Test: yes")
ok "test: X-Mailcast-Test: yes" test -n "$M"
ok "test: Subject: [test] Hello Bob" grep -q "^Subject: \[test\] Hello Bob" "$M"
ok "test: rendered for bob, from the frozen copy" grep -q "Hello Bob, version one." "$M"
ok "test: the frozen attachment" grep -q "UFJJQ0UtTElTVC1WMQ==" "$M"
run "test for someone not on the list" 66 "$MC" --store "$S" campaign test 1 \
	--to alice@example.test --as nobody@example.test
has "... says so" "nobody@example.test is not on the campaign's list"
run "the ledger is untouched by tests" 0 "$MC" --store "$S" --json campaign status 1
has "status: still 2 pending" '"pending": 2'
has "status: none sent" '"sent": 0'

# the run: from the frozen copy
run "start sends (exit 0: every recipient final)" 0 "$MC" --store "$S" \
	campaign start 1 --quiet
ok "alice got the campaign" box_wait 2
M=$(grep -L "X-Mailcast-Test" "$BOX"/* | head -1)
ok "the run: the frozen text" grep -q "Hello Alice, version one." "$M"
ok "the run: the frozen attachment (deleted file)" grep -q "UFJJQ0UtTElTVC1WMQ==" "$M"
ok "the run: not the edit" sh -c "! grep -q EDITED '$M'"
run "report --csv" 0 "$MC" --store "$S" campaign report 1 --csv
has "csv: header" "section,key,state,count"
has "csv: by state" "state,,sent,2"
has "csv: by destination" "destination,127.0.0.1 127.0.0.1:$PORT,sent,2"
run "report --json" 0 "$MC" --store "$S" --json campaign report 1
ok "report --json: 2 sent" "$PY" -c 'import json,sys
assert json.loads(sys.argv[1])["states"]["sent"]==2' "$OUT"
run "an unknown flag on report is 64" 64 "$MC" --store "$S" campaign report 1 --cvs

# schedule and run-due
run "schedule in the past is refused" 64 "$MC" --store "$S" campaign \
	schedule 2 --at 2020-01-01T00:00:00Z
has "... saying so" "in the past"
run "schedule without a zone is refused" 64 "$MC" --store "$S" campaign \
	schedule 2 --at 2099-01-01T00:00
has "... saying so" "has no zone"
run "schedule a done campaign is refused" 64 "$MC" --store "$S" campaign \
	schedule 1 --at 2099-01-01T00:00Z
run "schedule far ahead (+01:00)" 0 "$MC" --store "$S" campaign schedule 2 \
	--at 2099-01-01T09:00:00+01:00
run "list shows the time in UTC" 0 "$MC" --store "$S" campaign list
has "list: scheduled" "2099-01-01T08:00:00Z"
run "run-due: nothing is due" 0 "$MC" --store "$S" campaign run-due
has "... says so" "no campaign is due"
run "clone 1 again" 0 "$MC" --store "$S" campaign clone 1 --name soon
SOON=$(date -u -d '+2 seconds' +%Y-%m-%dT%H:%M:%SZ)
run "schedule one in 2 s" 0 "$MC" --store "$S" campaign schedule soon --at "$SOON"
sleep 3
run "run-due starts it" 0 "$MC" --store "$S" campaign run-due
has "... and says so" "campaign 3: done"
lacks "... not the one of 2099" "campaign 2:"
ok "alice got the scheduled one" box_wait 3
run "run-due again: nothing" 0 "$MC" --store "$S" campaign run-due
has "... nothing is due" "no campaign is due"

# delete: refused while a run is live (a dead relay keeps it waiting)
run "clone for delete" 0 "$MC" --store "$S" campaign clone 1 --name busy
"$MC" --store "$S" campaign start busy --quiet --relay 127.0.0.1:$DEAD \
	--retry 1 --linger 60 >/dev/null 2>&1 &
RUN=$!
on_exit "kill $RUN"
i=0
until "$MC" --store "$S" campaign status busy 2>/dev/null | grep -q "run: pid"; do
	sleep 0.1
	i=$((i + 1))
	[ $i -lt 100 ] || break
done
run "delete while running is refused" 75 "$MC" --store "$S" campaign delete busy
has "... saying why" "is running (pid $RUN"
run "pause it" 0 "$MC" --store "$S" campaign pause busy
wait $RUN
run "delete" 0 "$MC" --store "$S" campaign delete busy
run "gone from the list" 0 "$MC" --store "$S" campaign list
lacks "list: no busy" "busy"
run "gone" 66 "$MC" --store "$S" campaign show busy
finish
