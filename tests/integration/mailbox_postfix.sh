#!/bin/bash
# mailbox_postfix.sh MAILCAST — real bounces from a real MTA: a test
# Postfix (tests/helpers/postfix.sh on 127.0.0.1:28025) receives messages
# from `mailcast send` with the envelope sender bounce@example.test and
# bounces them into that Maildir: an unknown user of example.test, an
# unknown domain (the error transport told to say what a failed MX lookup
# says).  `bounces parse --json` and `bounces ingest` must name the right
# recipient and class.  A message too big for this Postfix is refused at
# send time (its SIZE limit); one too big for the next hop (a `mailcast
# sink --max-size 2000` that Postfix relays big.test to) comes back as a
# real "message too big" bounce.  Those bounces carry no VERP token and
# the store never sent to their recipients: `bounces ingest` says
# "unverified: no token" and suppresses nothing.  Then a campaign through
# the same Postfix (VERP envelope bounces+TOKEN@example.test, delivered to
# the bounce Maildir by recipient_delimiter) to an unknown user, an
# unknown domain and alice: the two real bounces carry the token, and
# `bounces ingest` suppresses exactly those two and marks their ledger
# rows bounced; alice stays.
MC=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../helpers/lib.sh"
PORT=28025
PF=$T/pf
sh "$HERE/../helpers/certs.sh" "$PF" >/dev/null 2>&1
if ! "$HERE/../helpers/postfix.sh" start "$PF" $PORT >"$T/pf.out" 2>&1; then
	fail "postfix starts" "$(cat "$T/pf.out")"
	finish
fi
on_exit "'$HERE/../helpers/postfix.sh' stop '$PF' $PORT"
"$MC" sink --listen 127.0.0.1:28026 --discard --quiet --max-size 2000 >/dev/null 2>&1 &
on_exit "kill $!"
wait_port 28026
postconf -c "$PF/etc" -e \
    'default_transport = error:5.1.2 Host or domain name not found. Name service error for type=MX: Host not found' \
    'message_size_limit = 10240' \
    'transport_maps = inline:{ big.test=smtp:[127.0.0.1]:28026 }' \
    'smtp_tls_security_level = none' 'recipient_delimiter = +' \
    "virtual_mailbox_maps = inline:{ alice@example.test=alice/Maildir/, bounce@example.test=bounce/Maildir/, bounces@example.test=bounce/Maildir/ }" >/dev/null
script -qec "postfix -c $PF/etc reload" /dev/null >/dev/null
wait_port $PORT
BOX=$PF/vmail/bounce/Maildir

small() { printf 'From: bounce@example.test\r\nTo: %s\r\nSubject: test\r\n\r\nhello\r\n' "$1"; }
small nobody@example.test >"$T/m1.eml"
small someone@nowhere.invalid >"$T/m2.eml"
{
	printf 'From: bounce@example.test\r\nTo: alice@example.test\r\nSubject: big\r\n\r\n'
	for _ in $(seq 200); do printf '%070d\r\n' 0; done
} >"$T/m3.eml"
run "too big: refused at send time (SIZE)" 65 "$MC" send --server 127.0.0.1:$PORT \
    --tls none --helo client.example.org --from bounce@example.test \
    --to alice@example.test --data "$T/m3.eml"
has "too big: says the SIZE limit" "exceeds the server's SIZE limit"
{
	printf 'From: bounce@example.test\r\nTo: huge@big.test\r\nSubject: big\r\n\r\n'
	for _ in $(seq 40); do printf '%070d\r\n' 0; done
} >"$T/m4.eml"
for r in nobody@example.test:m1 someone@nowhere.invalid:m2 huge@big.test:m4; do
	run "send to ${r%%:*}" 0 "$MC" send --server 127.0.0.1:$PORT --tls none \
	    --helo client.example.org --from bounce@example.test --to "${r%%:*}" \
	    --data "$T/${r##*:}.eml"
done
# Three bounces arrive (bounded wait).
for _ in $(seq 200); do
	[ "$(ls "$BOX/new" 2>/dev/null | wc -l)" -ge 3 ] && break
	sleep 0.1
done
n=$(ls "$BOX/new" 2>/dev/null | wc -l)
[ "$n" -ge 3 ] && pass "three bounces delivered" || fail "three bounces delivered: $n" "$(tail -20 "$PF/maillog")"

# expect ADDRESS CLASS: some bounce names ADDRESS with CLASS.
expect() {
	line=$(grep -h "\"address\":\"$1\"" "$T/parse.json")
	case $line in
	*"\"class\":\"$2\""*) pass "parse: $1 is $2" ;;
	*) fail "parse: $1 is $2" "$line" "$(cat "$T/parse.json")" ;;
	esac
}
"$MC" bounces parse --json "$BOX"/new/* >"$T/parse.json" 2>&1
expect nobody@example.test hard
expect someone@nowhere.invalid hard
expect huge@big.test soft
grep -h '"address":"huge@big.test"' "$T/parse.json" >"$T/huge.json"
OUT=$(cat "$T/huge.json")
has "too big: status 5.3.4" '"status":"5.3.4"'
has "too big: the next hop's words" "exceeds size limit"
# bounces ingest needs an existing store (a mistyped one is an error)
"$MC" --store "sqlite:$T/s.db" suppress import /dev/null >/dev/null 2>&1
for f in "$BOX"/new/*; do
	run "ingest $(basename "$f")" 0 "$MC" --store "sqlite:$T/s.db" bounces ingest <"$f"
	has "ingest $(basename "$f"): unsigned, so unverified" "bounce: unverified: no token"
done
sup() { sqlite3 "${2:-$T/s.db}" "SELECT reason FROM suppressions WHERE entry = '$1'"; }
[ -z "$(sup nobody@example.test)" ] && pass "ingest: an unsigned bounce suppresses nothing" || fail "ingest: an unsigned bounce suppresses nothing"
[ -z "$(sup someone@nowhere.invalid)" ] && pass "ingest: an unsigned bounce suppresses nothing (2)" || fail "ingest: an unsigned bounce suppresses nothing (2)"
f=$(ls "$BOX"/new/* | head -1)
run "ingest again: nothing twice" 0 "$MC" --store "sqlite:$T/s.db" bounces ingest <"$f"
has "ingest again says so" "already-handled"
run "ingest of garbage: EX_DATAERR" 65 "$MC" --store "sqlite:$T/s.db" bounces ingest </dev/null
mkdir -p "$T/old"
mv "$BOX"/new/* "$T/old/"

# A campaign through this Postfix: its real bounces carry the token, signed
# with the store's own key, which ingest then verifies with no key given.
C=$T/c.db
printf 'email\ngone@example.test\nlost@nowhere.invalid\nalice@example.test\n' >"$T/l.csv"
printf 'From: News <news@example.test>\nSubject: Hello\n\nHello {{email}}.\n' >"$T/t.tmpl"
run "campaign: import" 0 "$MC" --store "sqlite:$C" list import "$T/l.csv" --list pf
run "campaign: create" 0 "$MC" --store "sqlite:$C" campaign create --name pf \
    --list pf --template "$T/t.tmpl" --from news@example.test \
    --relay 127.0.0.1:$PORT --tls none --helo client.example.org \
    --bounce-domain example.test
run "campaign: start" 0 "$MC" --store "sqlite:$C" campaign start pf --quiet
has "campaign: three sent" "sent         3"
for _ in $(seq 200); do
	[ "$(ls "$BOX/new" 2>/dev/null | wc -l)" -ge 2 ] && break
	sleep 0.1
done
n=$(ls "$BOX/new" 2>/dev/null | wc -l)
[ "$n" -ge 2 ] && pass "campaign: two real bounces" || fail "campaign: two real bounces: $n" "$(tail -20 "$PF/maillog")"
grep -l "bounces+[a-z2-7]*@example.test" "$BOX"/new/* >/dev/null 2>&1 &&
    pass "campaign: the bounces are addressed to the VERP address" ||
    fail "campaign: the bounces are addressed to the VERP address" "$(head -20 "$BOX"/new/* 2>/dev/null)"
for f in "$BOX"/new/*; do
	run "campaign: ingest $(basename "$f")" 0 "$MC" --store "sqlite:$C" bounces ingest <"$f"
	has "campaign: ingest $(basename "$f") applied" "bounce: applied"
done
[ "$(sup gone@example.test "$C")" = hard-bounce ] && pass "campaign: unknown user suppressed" ||
    fail "campaign: unknown user suppressed" "$(sqlite3 "$C" 'SELECT * FROM suppressions; SELECT kind, detail FROM events')"
[ "$(sup lost@nowhere.invalid "$C")" = hard-bounce ] && pass "campaign: unknown domain suppressed" ||
    fail "campaign: unknown domain suppressed"
[ -z "$(sup alice@example.test "$C")" ] && pass "campaign: alice untouched" || fail "campaign: alice untouched"
OUT=$(sqlite3 "$C" "SELECT c.address || '=' || d.state FROM deliveries d JOIN contacts c ON c.id = d.contact_id ORDER BY c.address")
has "campaign: gone's ledger row bounced" "gone@example.test=bounced"
has "campaign: lost's ledger row bounced" "lost@nowhere.invalid=bounced"
has "campaign: alice's row still sent" "alice@example.test=sent"
# The same real bounces ingested with another key: unverified, nothing.
openssl rand -hex 32 >"$T/other.key"
"$MC" --store "sqlite:$T/o.db" list import "$T/l.csv" --list pf >/dev/null 2>&1
f=$(ls "$BOX"/new/* | head -1)
run "another key: ingest" 0 "$MC" --store "sqlite:$T/o.db" bounces ingest \
    --token-key "$T/other.key" <"$f"
has "another key: bad signature" "unverified: bad signature"
[ "$(sqlite3 "$T/o.db" 'SELECT count(*) FROM suppressions')" = 0 ] &&
    pass "another key: nothing suppressed" || fail "another key: nothing suppressed"
finish
