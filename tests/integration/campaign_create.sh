#!/bin/bash
# campaign_create.sh MAILCAST DATADIR — `campaign create`, `broadcast` and
# `demo` make campaigns through the one campaign_create() of src/app: the
# same refusal, word for word and with the same exit code, for a template
# naming a merge field the list does not have, and for missing parts.
# No server is reached (the demo's own sink starts and is stopped).
. "$(dirname "$0")/../helpers/lib.sh"
MC=$1
DATA=$2
S="sqlite:$T/t.db"

mkdir -p "$T/data"
cp "$DATA/demo-contacts.csv" "$T/data/"
printf 'From: a@news.example\nSubject: Hi {{first_name}} {{nosuch}}\n\nhi\n' \
	>"$T/data/demo-template.txt"
TPL="$T/data/demo-template.txt"
run "import the list" 0 "$MC" --store "$S" list import \
	"$T/data/demo-contacts.csv" --list l

# what follows "mailcast: CMD: " on the last line of $OUT
why() { printf '%s\n' "$OUT" | tail -1 | sed "s/^mailcast: $1: //"; }

run "campaign create refuses {{nosuch}}" 65 "$MC" --store "$S" campaign \
	create --name c --list l --template "$TPL" --from a@news.example \
	--relay 127.0.0.1:1
has "... naming the field" "unknown field 'nosuch'"
W1=$(why "campaign create")
run "broadcast refuses {{nosuch}}" 65 "$MC" --store "$S" broadcast \
	--list l --template "$TPL" --from a@news.example --relay 127.0.0.1:1
W2=$(why broadcast)
run "demo refuses {{nosuch}}" 65 env TMPDIR="$T" "$MC" demo --data "$T/data"
W3=$(why demo)
ok "the same words from all three ($W1)" \
	test -n "$W1" -a "$W1" = "$W2" -a "$W1" = "$W3"
run "no campaign 1" 66 "$MC" --store "$S" campaign status 1

run "campaign create without --list and --from" 64 "$MC" --store "$S" \
	campaign create --name c --template "$TPL" --relay 127.0.0.1:1
W1=$(why "campaign create")
run "broadcast without --list and --from" 64 "$MC" --store "$S" broadcast \
	--template "$TPL" --relay 127.0.0.1:1
W2=$(why broadcast)
ok "the same words ($W1)" test "$W1" = "--list and --from are required" \
	-a "$W1" = "$W2"
finish
