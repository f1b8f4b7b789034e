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
# real "message too big" bounce.
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
    'smtp_tls_security_level = none' >/dev/null
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
for f in "$BOX"/new/*; do
	run "ingest $(basename "$f")" 0 "$MC" --store "sqlite:$T/s.db" bounces ingest <"$f"
done
sup() { sqlite3 "$T/s.db" "SELECT reason FROM suppressions WHERE entry = '$1'"; }
[ "$(sup nobody@example.test)" = hard-bounce ] && pass "ingest: unknown user suppressed" || fail "ingest: unknown user suppressed"
[ "$(sup someone@nowhere.invalid)" = hard-bounce ] && pass "ingest: unknown domain suppressed" || fail "ingest: unknown domain suppressed"
f=$(ls "$BOX"/new/* | head -1)
run "ingest again: nothing twice" 0 "$MC" --store "sqlite:$T/s.db" bounces ingest <"$f"
has "ingest again says so" "already-handled"
run "ingest of garbage: EX_DATAERR" 65 "$MC" --store "sqlite:$T/s.db" bounces ingest </dev/null
finish
