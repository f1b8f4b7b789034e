#!/bin/bash
# segment_pg_cli.sh MAILCAST — the segment and campaign-management ops on
# a PostgreSQL store, as a user meets them through the CLI (run under
# tests/helpers/pg.sh, which sets MC_TEST_PG_URL): list count, export and
# add narrowed by --where; a campaign created from a segment, its template
# frozen with it (campaign show), scheduled (campaign list), not due
# (run-due), deleted.  The same steps as segment_cli.sh's on SQLite, with
# the same answers.
. "$(dirname "$0")/../helpers/lib.sh"
MC=$1
[ -n "${MC_TEST_PG_URL:-}" ] || {
	echo "no MC_TEST_PG_URL (run under tests/helpers/pg.sh)"
	exit 1
}
S="--store $MC_TEST_PG_URL"
cd "$T" || exit 1

cat >l.csv <<'CSV'
email,city,First Name,signup_date,rating
ann@a.example,Zürich,Ann,2026-02-01,5
bob@b.example,Paris,Bob,2025-12-01 09:30,2
cy@a.example,Zürich,,2026-03-01,n/a
dee@c.example,zürich,Dee,2025-11-30,10
eve@d.example,Bern,Eve,,4
fay@a.example,Zürich,Fay,2026-01-01,3
CSV
grep -E '^(email|ann|eve)' l.csv >vip.csv
cat >t.txt <<'TPL'
From: News <news@news.example>
Subject: Grüezi {{email}}

Hello {{email}} in {{city}}.
TPL

run "import" 0 "$MC" $S list import l.csv --list news
run "import vip" 0 "$MC" $S list import vip.csv --list vip
run "count: an attribute" 0 "$MC" $S list count news --where 'city = "Zürich"'
has "three in Zürich (case counts)" "3"
run "count: every contact, no list" 0 "$MC" $S list count \
	--where 'in_list("vip") or rating >= 5'
has "ann, dee, eve" "3"
run "count: numbers, dates, not" 0 "$MC" $S list count news \
	--where 'not (rating < 4 or signup_date >= 2026-02-01)'
has "dee and eve (n/a is no number)" "2"
run "count: a quoted name, starts with" 0 "$MC" $S list count news \
	--where '"First Name" starts with "d" or "First Name" is not set'
has "dee and cy" "2"
run "export: the matching rows only" 0 "$MC" $S list export --list news \
	--where 'city = "Zürich" and rating >= 4' -o out.csv
ok "ann exported" grep -q '^ann@a.example' out.csv
ok "fay (3) not" sh -c '! grep -q fay out.csv'
run "list add --where" 0 "$MC" $S list add --list zh --from-list news \
	--where 'city = "Zürich"'
run "... zh has them" 0 "$MC" $S list count zh
has "three" "3"
run "a bad --where" 64 "$MC" $S list count news --where 'city = Zürich'

run "suppress fay" 0 "$MC" $S suppress add fay@a.example
run "campaign create --where" 0 "$MC" $S campaign create --name zh \
	--list news --where 'city = "Zürich"' --template t.txt \
	--from news@news.example --relay 127.0.0.1:2 --tls none
run "status keeps the expression" 0 "$MC" $S campaign status zh
has "... and its count" '--where city = "Zürich" (3 at create)'
has "... two pending" "pending      2"
has "... fay suppressed" "suppressed   1"
run "show: the frozen template" 0 "$MC" $S campaign show zh
has "... its subject" "Grüezi"
run "schedule" 0 "$MC" $S campaign schedule zh --at 2099-01-01T09:00:00+01:00
run "list shows it" 0 "$MC" $S campaign list
has "... in UTC" "2099-01-01T08:00:00Z"
run "run-due: nothing is due" 0 "$MC" $S campaign run-due
has "... says so" "no campaign is due"
run "delete" 0 "$MC" $S campaign delete zh
run "gone" 66 "$MC" $S campaign status zh
run "the name is free again" 0 "$MC" $S campaign create --name zh \
	--list news --where 'rating >= 5' --template t.txt \
	--from news@news.example --relay 127.0.0.1:2 --tls none
run "... for ann and dee" 0 "$MC" $S campaign status zh
has "... two" '(2 at create)'
finish
