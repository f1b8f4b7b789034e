#!/bin/bash
# bounce_forgery.sh MAILCAST — forged bounces and unsubscribes through
# `mailcast bounces ingest`, as an attacker would send them to the bounce
# mailbox: no token, a tampered token, another contact's token, a spoofed
# From on an unsubscribe, alice's unsubscribe token sent from bob's
# address, one DSN naming 256 recipients.  The store is checked as a user
# would (`suppress check`, the contacts' status, the ledger), and each
# message's printed verdict.  The ledger: campaign 1 sent to alice, bob,
# dana and erin (contacts 1-4); r0..r255 were never sent to.
MC=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../helpers/lib.sh"
DB=$T/f.db
S="sqlite:$DB"
openssl rand -hex 32 >"$T/token.key"
"$MC" --store "$S" suppress import /dev/null >/dev/null 2>&1
{
	echo "INSERT INTO lists(id, name, created_at) VALUES (1, 'l', 0);"
	echo "INSERT INTO campaigns(id, name, list_id, status, created_at) VALUES (1, 'c', 1, 'done', 0);"
	i=0
	for a in alice bob dana erin; do
		i=$((i + 1))
		echo "INSERT INTO contacts(id, address, domain, created_at, updated_at) VALUES ($i, '$a@dest.example', 'dest.example', 0, 0);"
	done
	echo "INSERT INTO deliveries(campaign_id, contact_id, state, attempts, created_at, updated_at) SELECT 1, id, 'sent', 1, 0, 0 FROM contacts;"
} | sqlite3 "$DB"

# tok CONTACT: the token of (campaign 1, CONTACT) under the key (the
# layout of src/bounce/token.h).
tok() {
	python3 - "$T/token.key" "$1" <<'PY'
import base64, hashlib, hmac, sys
key = bytes.fromhex(open(sys.argv[1]).read().strip())
raw = bytes([0, 1, int(sys.argv[2])])
mac = hmac.new(key, b"mailcast-token-v1" + raw, hashlib.sha256).digest()
print(base64.b32encode(raw + mac[:10]).decode().lower().rstrip("="))
PY
}
ALICE=$(tok 1) BOB=$(tok 2) ERIN=$(tok 4)
# A tampered token: one character of the MAC changed.
last=${ALICE: -1}
[ "$last" = a ] && sub=b || sub=a
BAD=${ALICE%?}$sub

# dsn ID TO RCPT...: a hard-bounce report to TO for each RCPT.
dsn() {
	id=$1 to=$2
	shift 2
	printf '%s\r\n' "From: MAILER-DAEMON@mx.dest.example" "To: $to" \
	    "Subject: Undelivered Mail Returned to Sender" \
	    "Message-ID: <$id@mx.dest.example>" "MIME-Version: 1.0" \
	    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"' \
	    "" "--B" "Content-Type: text/plain" "" "Not delivered." "--B" \
	    "Content-Type: message/delivery-status" "" \
	    "Reporting-MTA: dns; mx.dest.example"
	for r in "$@"; do
		printf '%s\r\n' "" "Final-Recipient: rfc822; $r" "Action: failed" \
		    "Status: 5.1.1" "Diagnostic-Code: smtp; 550 5.1.1 User unknown"
	done
	printf '%s\r\n' "" "--B--"
}
# unsub ID FROM TO SUBJECT: a mailto unsubscribe request.
unsub() {
	printf '%s\r\n' "From: $2" "To: $3" "Subject: $4" \
	    "Message-ID: <$1@dest.example>" "" "unsubscribe"
}
ingest() { run "$1" 0 "$MC" --store "$S" bounces ingest --token-key "$T/token.key" "${@:2}"; }
# not_suppressed ADDRESS...
not_suppressed() {
	for a in "$@"; do
		run "$a is not suppressed" 1 "$MC" --store "$S" suppress check "$a"
	done
}
status() { sqlite3 "$DB" "SELECT status FROM contacts WHERE address = '$1'"; }

dsn f1 bounces@sender.example dana@dest.example >"$T/f1"
ingest "no token" <"$T/f1"
has "no token: unverified" "bounce: unverified: no token (dana@dest.example)"
not_suppressed dana@dest.example

dsn f2 "bounces+$BAD@sender.example" alice@dest.example >"$T/f2"
ingest "tampered token" <"$T/f2"
has "tampered token: bad signature" "bounce: unverified: bad signature"
not_suppressed alice@dest.example

dsn f3 "bounces+$ERIN@sender.example" dana@dest.example >"$T/f3"
ingest "erin's token on a DSN for dana" <"$T/f3"
has "another contact's token: ignored" "ignored: not the token's recipient"
not_suppressed dana@dest.example erin@dest.example
[ "$(status erin@dest.example)" = active ] && pass "erin still active" || fail "erin still active: $(status erin@dest.example)"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM deliveries WHERE state = 'sent'")" = 4 ] &&
    pass "the ledger is unchanged" || fail "the ledger is unchanged"

unsub f4 "Alice <alice@dest.example>" unsubscribe@sender.example unsubscribe >"$T/f4"
ingest "a spoofed From, no token" <"$T/f4"
has "spoofed From: unverified" "unsubscribe: unverified: no token (the sender alice@dest.example is not unsubscribed)"
not_suppressed alice@dest.example
[ "$(status alice@dest.example)" = active ] && pass "alice still active" || fail "alice still active"

unsub f5 "Bob <bob@dest.example>" "unsubscribe+$ALICE@sender.example" unsubscribe >"$T/f5"
ingest "alice's token from bob's address" --json <"$T/f5"
has "alice's token: applied to alice" '"verdict":"applied"'
has "alice's token: the effect names alice" '"address":"alice@dest.example"'
run "alice is unsubscribed" 0 "$MC" --store "$S" suppress check alice@dest.example
has "alice: the reason" "unsubscribed"
[ "$(status alice@dest.example)" = unsubscribed ] && pass "alice's contact unsubscribed" || fail "alice's contact unsubscribed"
not_suppressed bob@dest.example
[ "$(status bob@dest.example)" = active ] && pass "bob untouched" || fail "bob untouched: $(status bob@dest.example)"

# 256 recipients: unsigned, with --trust-unsigned, and with bob's token.
rcpts=()
for i in $(seq 0 255); do rcpts+=("r$i@dest.example"); done
dsn m1 bounces@sender.example "${rcpts[@]:0:100}" dana@dest.example "${rcpts[@]:100}" >"$T/m1"
ingest "256 recipients, no token" <"$T/m1"
has "256: unverified" "unverified: no token"
dsn m2 bounces@sender.example "${rcpts[@]}" >"$T/m2"
ingest "256 recipients never sent to, --trust-unsigned" --trust-unsigned <"$T/m2"
has "256 never sent to: ignored" "ignored: not sent by us"
dsn m3 "bounces+$BOB@sender.example" "${rcpts[@]:0:128}" bob@dest.example "${rcpts[@]:128}" >"$T/m3"
ingest "256 recipients and bob, with bob's token" <"$T/m3"
has "256 and bob: applied" "bounce: applied"
has "256 and bob: one effect, bob's" "  bob@dest.example: suppress 5.1.1, suppressed"
run "bob is suppressed" 0 "$MC" --store "$S" suppress check bob@dest.example
n=$(sqlite3 "$DB" "SELECT count(*) FROM suppressions")
[ "$n" = 2 ] && pass "only alice and bob are suppressed" ||
    fail "only alice and bob are suppressed: $n" "$(sqlite3 "$DB" 'SELECT entry, reason FROM suppressions')"
n=$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE kind = 'ingest-unverified'")
[ "$n" = 4 ] && pass "each unverified message is recorded" ||
    fail "each unverified message is recorded: $n" "$(sqlite3 "$DB" 'SELECT kind, detail FROM events')"
finish
