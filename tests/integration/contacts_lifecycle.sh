#!/bin/bash
# contacts_lifecycle.sh MAILCAST — issue 12 items 1-4 as a list owner does
# them, through the CLI: imports merge attributes, list add, repeated
# --list, rejects exit 0 (--strict 65), one status model kept with the
# suppression list (suppress add/remove, re-import, check, campaigns skip),
# contact show/set/delete/erase/history/resubscribe, counts by status,
# export -> import round trips of mailcast, Mailchimp and listmonk exports,
# {{First Name}} and preview --email-column.  No server is reached.
. "$(dirname "$0")/../helpers/lib.sh"
MC=$1
S="--store sqlite:$T/s.db"
cd "$T" || exit 1
export USER=tester

# --- 1. imports merge; list add; repeated --list -----------------------
printf 'email,first_name,city\nalice@x.example,Alice,Bern\nbob@x.example,Bob,Basel\ncarol@x.example,Carol,Chur\n' >main.csv
printf 'email\nalice@x.example\nbob@x.example\n' >vip.csv
printf 'email,city\nalice@x.example,Genf\nnot-an-address\n' >move.csv
run "import main" 0 "$MC" $S list import main.csv --list main
run "email-only import to two lists" 0 "$MC" $S list import vip.csv --list vip --list extra
has "nothing updated" "0 updated, 2 unchanged"
run "show vip" 0 "$MC" $S list show vip
has "alice keeps her attributes" 'alice@x.example                          active       {"first_name":"Alice","city":"Bern"}'
run "show extra (the second --list)" 0 "$MC" $S list show extra
has "bob on extra too" 'bob@x.example'
run "a column present updates, absent keeps; a bad row exits 0" 0 "$MC" $S list import move.csv --list main
has "reject summary on stderr" "mailcast: list import: 1 rows rejected; the other rows were imported"
run "show main" 0 "$MC" $S list show main
has "city updated, name kept" '{"first_name":"Alice","city":"Genf"}'
run "--strict: a bad row fails it all" 65 "$MC" $S list import move.csv --list main --strict
run "--replace-attributes: the old way" 0 "$MC" $S list import vip.csv --list vip --replace-attributes
run "show after replace" 0 "$MC" $S list show vip
has "attributes replaced" 'alice@x.example                          active       {}'
run "restore" 0 "$MC" $S list import main.csv --list main
run "list add ADDR" 0 "$MC" $S list add --list team alice@x.example dave@y.example
has "two joined, one new" "2 new memberships (1 new contacts), 0 not addresses"
run "list add --from-list" 0 "$MC" $S list add --list all --from-list main
has "three joined" "3 new memberships (0 new contacts)"
run "show all" 0 "$MC" $S list show all
has "attributes untouched by list add" '{"first_name":"Alice","city":"Bern"}'

# --- 3. the status model and the suppression list ----------------------
run "suppress add --reason unsubscribed" 0 "$MC" $S suppress add --reason unsubscribed alice@x.example
run "contact show" 0 "$MC" $S contact show alice@x.example
has "the contact is unsubscribed" '"status": "unsubscribed"'
run "suppress remove" 0 "$MC" $S suppress remove alice@x.example
run "re-import" 0 "$MC" $S list import main.csv --list main
run "suppress check alice" 0 "$MC" $S suppress check alice@x.example
has "still suppressed by her status" "alice@x.example is suppressed by contact status (unsubscribed, contact)"
printf 'email,status\nalice@x.example,active\nzed@x.example,unsubscribed\n' >st.csv
run "a file saying active" 0 "$MC" $S list import st.csv --list other
run "contact show alice" 0 "$MC" $S contact show alice@x.example
has "an import never resubscribes" '"status": "unsubscribed"'
run "the entry is back with it" 0 "$MC" $S suppress check alice@x.example
has "suppression list consistent again" "alice@x.example is suppressed by alice@x.example (unsubscribed, import)"
run "count by status" 0 "$MC" $S list count main
has "each status" "3 active=2 unsubscribed=1 bounced=0 complained=0 blocklisted=0 erased=0"
printf 'From: n@news.example\nSubject: Hi {{First Name|there}}\n\nHello {{First Name|you}} from {{city|here}}\n' >t.tmpl
run "campaign create with {{First Name|there}}" 0 "$MC" $S campaign create --name c1 --list main --template t.tmpl --from n@news.example --relay 127.0.0.1:1
run "who is suppressed" 0 "$MC" $S campaign who c1 --state suppressed --csv
has "alice skipped" "alice@x.example,suppressed"
lacks "bob not skipped" "bob@x.example"
run "resubscribe without a reason" 65 "$MC" $S contact resubscribe alice@x.example
has "asks why" "say why (--reason)"
run "resubscribe" 0 "$MC" $S contact resubscribe alice@x.example --reason "asked by phone, ticket 12"
has "active again" '"status": "active"'
run "history" 0 "$MC" $S contact history alice@x.example
has "who" '"actor": "user:tester"'
has "the import, with its list" '"detail": "import main.csv into main"'
has "status change with why" '"detail": "unsubscribed -> active: asked by phone, ticket 12"'
has "the suppression" '"detail": "active -> unsubscribed: suppressed (unsubscribed, cli)"'

# --- 2. single contacts: set, delete, erase ----------------------------
run "contact set" 0 "$MC" $S contact set bob@x.example plan=gold city= --reason "support call"
has "set" '"plan": "gold"'
lacks "city= removed it" '"city"'
run "a key with a line break is refused" 65 "$MC" $S contact set \
	bob@x.example "$(printf 'pl\nan=x')"
has "... saying why" "control character"
run "... and nothing changed" 0 "$MC" $S contact show bob@x.example --json
lacks "... no such key" 'pl\nan'
run "delete bob" 0 "$MC" $S contact delete bob@x.example
run "bob is gone" 66 "$MC" $S contact show bob@x.example
run "not on any list" 0 "$MC" $S list show main
lacks "bob off main" "bob@x.example"
run "the ledger keeps bob" 0 "$MC" $S campaign who c1 --csv
has "bob's row, not sent, says why" "bob@x.example,suppressed,0,,,skipped: the contact was deleted,,"
# erasure after a delete, and of an address only the suppression list holds
# (found by the hostile pass: both were "not a contact", exit 66)
run "erase bob after his delete" 0 "$MC" $S contact erase bob@x.example --reason "art. 17 after a delete"
ok "bob nowhere in the store file" sh -c "! sqlite3 '$T/s.db' .dump | grep -qi bob@x"
run "suppress a ghost" 0 "$MC" $S suppress add --reason complaint ghost@x.example
run "erase the ghost" 0 "$MC" $S contact erase ghost@x.example
ok "the ghost nowhere in the store file" sh -c "! sqlite3 '$T/s.db' .dump | grep -qi ghost@x"
run "suppress check ghost" 0 "$MC" $S suppress check ghost@x.example
has "the ghost suppressed by its hash" "ghost@x.example is suppressed by sha256:"
run "suppress carol (unsubscribed)" 0 "$MC" $S suppress add --reason unsubscribed carol@x.example
run "erase carol" 0 "$MC" $S contact erase carol@x.example --reason "GDPR art. 17 request"
has "the hash kept" '"entry": "sha256:'
run "campaign who" 0 "$MC" $S campaign who c1 --csv
lacks "carol gone from the ledger's view" "carol"
ok "carol nowhere in the store file" sh -c "! sqlite3 '$T/s.db' .dump | grep -qi carol"
run "carol's history by her address" 0 "$MC" $S contact history carol@x.example
has "erased recorded, with why" '"detail": "unsubscribed -> erased: GDPR art. 17 request"'
run "an old file brings carol back" 0 "$MC" $S list import main.csv --list main
run "suppress check carol" 0 "$MC" $S suppress check carol@x.example
has "suppressed by her hash" "carol@x.example is suppressed by sha256:"
run "campaign create again" 0 "$MC" $S campaign create --name c2 --list main --template t.tmpl --from n@news.example --relay 127.0.0.1:1
run "send c2 (relay refuses: 127.0.0.1:1)" 75 timeout 60 "$MC" $S campaign start c2 --quiet --linger 1
run "who in c2" 0 "$MC" $S campaign who c2 --state suppressed --csv
has "erased unsubscriber never mailed" "carol@x.example,suppressed"

# --- export -> import round trip -----------------------------------------
rt() { # rt NAME LIST: export LIST, import into a fresh store, export again
	"$MC" $S list export --list "$2" -o "$1.1.csv" &&
		"$MC" --store "sqlite:$T/$1.db" list import "$1.1.csv" --list "$2" >/dev/null 2>&1 &&
		"$MC" --store "sqlite:$T/$1.db" list export --list "$2" -o "$1.2.csv" &&
		cmp "$1.1.csv" "$1.2.csv"
}
ok "mailcast round trip" rt own main
OUT=$(cat own.1.csv)
has "status and dates exported" "alice@x.example,active,20"

# --- 4. Mailchimp's three exports ----------------------------------------
MCH='"Email Address","First Name","Last Name","Address","Phone Number",MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED,LEID,EUID,NOTES,TAGS'
{ echo "$MCH"
  echo 'ann@mc.example,Ann,Lee,,,2,"2025-03-14 10:22:01",,"2025-03-14 10:25:40",198.51.100.7,,,,,,CH,ZH,"2025-06-01 08:00:00",1234,abcd,,"""vip"""'
  echo 'ben@mc.example,Ben,,,,4,"2025-04-02 09:00:00",,"2025-04-02 09:01:00",,,,,,,DE,,"2025-04-02 09:01:00",1235,abce,,'
} >subscribed_members_export_1a2b.csv
{ echo "$MCH,UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_CAMPAIGN_ID,UNSUB_REASON,UNSUB_REASON_OTHER"
  echo 'cy@mc.example,Cy,,,,2,"2024-01-01 00:00:00",,"2024-01-01 00:05:00",,,,,,,FR,,"2025-02-02 12:00:00",1236,abcf,,,"2025-02-02 12:00:00","May news",c123,"I no longer want to receive these emails",'
} >unsubscribed_members_export_1a2b.csv
{ echo "$MCH,CLEAN_TIME,CLEAN_CAMPAIGN_TITLE,CLEAN_CAMPAIGN_ID"
  echo 'dee@mc.example,Dee,,,,1,"2023-05-05 05:05:05",,,,,,,,,US,,"2025-01-01 01:00:00",1237,abd0,,,"2025-01-01 01:00:00","Jan news",c100'
} >cleaned_members_export_1a2b.csv
for f in subscribed unsubscribed cleaned; do
	run "import mailchimp $f" 0 "$MC" $S list import ${f}_members_export_1a2b.csv --list mc
done
run "mailchimp counts" 0 "$MC" $S list count mc
has "statuses from the three files" "4 active=2 unsubscribed=1 bounced=1"
run "show cy" 0 "$MC" $S contact show cy@mc.example
has "unsubscribed at UNSUB_TIME" '"status_changed_at": "2025-02-02T12:00:00Z"'
has "subscribed at CONFIRM_TIME" '"subscribed_at": "2024-01-01T00:05:00Z"'
has "spaced column kept" '"First Name": "Cy"'
run "dee suppressed" 0 "$MC" $S suppress check dee@mc.example
has "cleaned is a hard bounce" "(hard-bounce, import)"
ok "mailchimp round trip" rt mch mc
run "preview from the mailchimp file" 0 "$MC" preview --template t.tmpl --csv subscribed_members_export_1a2b.csv --row 1 --email-column "Email Address"
has "{{First Name}} merged" "Hello Ann from here"
has "to the Email Address column" "RCPT TO:<ann@mc.example>"

# --- 4. listmonk: import format and its export -----------------------------
cat >listmonk_import.csv <<'EOF'
email,name,attributes
lu@lm.example,Lu Chen,"{""city"": ""Zürich"", ""projects"": 3, ""stack"": {""languages"": [""go"", ""c""]}}"
mo@lm.example,Mo,"{}"
EOF
cat >listmonk_export.csv <<'EOF'
uuid,email,name,attributes,status,created_at,updated_at
6b7e1a4e-0000-4000-8000-000000000001,lu@lm.example,Lu Chen,"{""city"": ""Zürich""}",enabled,2024-02-03 10:11:12.123456+00,2024-02-03 10:11:12.123456+00
6b7e1a4e-0000-4000-8000-000000000002,spam@lm.example,Spammer,{},blocklisted,2024-03-01 00:00:00+00,2024-03-02 00:00:00+00
EOF
run "listmonk import format" 0 "$MC" $S list import listmonk_import.csv --list lm
run "show lu" 0 "$MC" $S contact show lu@lm.example
has "JSON attributes expanded" '"city": "Zürich"'
has "numbers kept as text" '"projects": "3"'
has "nested objects kept as JSON" '"stack": "{\"languages\":[\"go\",\"c\"]}"'
run "listmonk export" 0 "$MC" $S list import listmonk_export.csv --list lm
run "show spam" 0 "$MC" $S contact show spam@lm.example
has "blocklisted honoured" '"status": "blocklisted"'
run "campaign on lm" 0 "$MC" $S campaign create --name c3 --list lm --template t.tmpl --from n@news.example --relay 127.0.0.1:1
run "who in c3" 0 "$MC" $S campaign who c3 --state suppressed --csv
has "the blocklisted one never mailed" "spam@lm.example,suppressed"
ok "listmonk round trip" rt lmk lm

# A quoted local part is the same mailbox as the dot-atom inside it: it
# must not get past a suppression or make a second contact.
run "suppress q" 0 "$MC" $S suppress add quiet.one@q.example
printf 'email\n"""quiet.one""@q.example"\n"""qu\\iet.one""@q.example"\n' >quoted.csv
run "import the quoted forms" 0 "$MC" $S list import quoted.csv --list q
has "one contact, the quotes dropped" "1 added, 0 updated, 0 unchanged, 1 duplicates merged"
run "show q" 0 "$MC" $S list show q
has "stored as the dot-atom" "quiet.one@q.example "
run "check the quoted form" 0 "$MC" $S suppress check '"quiet.one"@q.example'
has "suppressed" "is suppressed by quiet.one@q.example"
run "campaign on q" 0 "$MC" $S campaign create --name cq --list q --template t.tmpl --from n@news.example --relay 127.0.0.1:1
run "who in cq" 0 "$MC" $S campaign who cq --state suppressed --csv
has "never mailed" "quiet.one@q.example,suppressed"
finish
