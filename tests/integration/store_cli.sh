#!/bin/bash
# store_cli.sh MAILCAST — `mailcast list` and `mailcast suppress` as a user
# sees them: import counts, rejected rows on stderr (the first 20) and in
# the reject CSV (all), show/count/export (text and --json), remove, suppress add/check/list/
# import/remove, and the exit status of each (sysexits; check: 0 or 1).
. "$(dirname "$0")/../helpers/lib.sh"
MC=$1
S="--store sqlite:$T/s.db"
cd "$T" || exit 1
printf 'email,first_name,city\nAnn@Example.org,Ann,"Paris, FR"\nbad,X,Y\nbob@example.org,Bob,\n' >l.csv
printf 'a@example.org\n@b.example\nbroken@\n' >s.csv

run "import: one row rejected, the rest kept" 0 "$MC" $S list import l.csv --list news --reject-file rj.csv
has "the tally" "l.csv: 3 rows: 2 added, 0 updated, 0 unchanged, 0 duplicates merged, 1 rejected; 2 joined list 'news'"
has "the rejected row on stderr" "mailcast: list import: line 3: invalid address"
has "the reject summary on stderr" "mailcast: list import: 1 rows rejected; the other rows were imported"
OUT=$(cat rj.csv)
has "reject CSV header" "line,reason,record"
has "reject CSV row" '3,line 3: invalid address: '
run "import --strict: nothing" 65 "$MC" $S list import l.csv --list strict --strict
has "strict says why" "1 rows rejected (--strict: every row must be good); nothing was imported"
run "no list made by --strict" 66 "$MC" $S list show strict
run "import --json" 0 "$MC" $S --json list import l.csv --list news2
has "json tally" '"rejected": 1'
has "json rejects" '"line": 3'
run "show" 0 "$MC" $S list show
has "list line" "news                                    2"
run "show a list" 0 "$MC" $S list show news
has "contact line" 'ann@example.org                          active       {"first_name":"Ann","city":"Paris, FR"}'
run "show --limit 1" 0 "$MC" $S list show news --limit 1
lacks "limit kept bob out" "bob@example.org"
run "count" 0 "$MC" $S list count news
has "two" "2"
run "export" 0 "$MC" $S list export --list news
has "CSV header" "email,status,subscribed_at,status_changed_at,first_name,city"
has "CSV quoting" 'ann@example.org,active,20'
has "CSV quoting" ',,Ann,"Paris, FR"'
run "export --json" 0 "$MC" $S list export --list news --json
has "json attributes" '"city": "Paris, FR"'
run "no such list" 66 "$MC" $S list show nope
run "remove: one missing" 65 "$MC" $S list remove news bob@example.org not-an-address
has "removed" "1 removed from 'news', some not found"

run "suppress add: one bad" 65 "$MC" $S suppress add Jo@Example.org @Spam.example bad
has "added" "2 added, 0 already suppressed"
run "suppress add again" 0 "$MC" $S suppress add jo@example.org
has "kept" "0 added, 1 already suppressed"
run "check: suppressed" 0 "$MC" $S suppress check JO@example.org
has "by itself" "jo@example.org is suppressed by jo@example.org (manual, cli)"
run "check: by domain" 0 "$MC" $S suppress check x@spam.example
has "by the domain" "x@spam.example is suppressed by @spam.example"
run "check: not" 1 "$MC" $S --json suppress check zz@example.org
has "json, one line" '{"address": "zz@example.org", "suppressed": false}'
run "import: one rejected" 0 "$MC" $S suppress import s.csv --reason hard-bounce --reject-file srj.csv
has "tally" "s.csv: 3 rows: 2 added, 0 already suppressed, 1 rejected"
{ echo ok@example.org; for i in $(seq 1 25); do echo "bad$i"; done; } >many.csv
run "import: 25 rejected" 0 "$MC" $S suppress import many.csv --reject-file mrj.csv
has "the 20th on stderr" "mailcast: suppress import: line 21: invalid address"
lacks "not the 21st" "line 22:"
has "the rest counted" "mailcast: suppress import: ... and 5 more rejected rows (see the reject file)"
OUT=$(cat mrj.csv)
has "every one in the reject CSV" '26,line 26: invalid address'
run "list" 0 "$MC" $S suppress list
has "imported domain" "@b.example                               hard-bounce"
run "remove" 0 "$MC" $S suppress remove jo@example.org
run "check after remove" 1 "$MC" $S suppress check jo@example.org
run "unknown reason" 64 "$MC" $S suppress add a@b.org --reason angry
has "names the reasons" "unknown reason 'angry'"
run "unknown subcommand" 64 "$MC" $S suppress bogus
finish
