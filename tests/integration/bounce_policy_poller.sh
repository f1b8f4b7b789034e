#!/bin/bash
# bounce_policy_poller.sh MAILCAST — the bounce policy on the POLLER path:
# `mailcast bounces fetch` reads a real Dovecot (tests/helpers/dovecot.sh,
# base port 28400: IMAP 28543, POP3 28510) holding bounces with the codes
# the policy must tell apart, and the store ends as a user would check it
# with `mailcast suppress check`:
#   550 5.1.1 user unknown           -> suppressed (hard-bounce)
#   550 5.1.1 mailbox full           -> counted soft, not suppressed;
#                                       three of them -> soft-bounces
#   553 5.1.7 / 550 5.1.8 (sender)   -> recorded, not suppressed
#   550 5.7.1 policy rejection       -> recorded, not suppressed
#   4.4.7 delayed                    -> nothing
# The bounces carry no VERP token: the fetch runs with --trust-unsigned
# (a mailbox only real bounces reach) and the ledger shows a campaign
# sent to each address; a hard bounce for an address never sent to
# (stranger@) changes nothing and says "ignored: not sent by us".
MC=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../helpers/lib.sh"
D=$T/dovecot
M="$D/mail/bounce@example.test/Maildir"
if ! "$HERE/../helpers/dovecot.sh" start "$D" 28400 >"$T/dc.out" 2>&1; then
	fail "dovecot starts" "$(cat "$T/dc.out")"
	finish
fi
on_exit "$HERE/../helpers/dovecot.sh" stop "$D"
printf 'secret\n' >"$T/pw"

# dsn NAME RCPT ACTION STATUS DIAGNOSTIC: a report into the Maildir.
n=0
dsn() {
	n=$((n + 1))
	f="$M/new/$(date +%s).M${n}P$$.$1"
	printf '%s\r\n' "From: MAILER-DAEMON@mx.dest.example" \
	    "To: bounces@sender.example" \
	    "Subject: Undelivered Mail Returned to Sender" \
	    "Message-ID: <$1-$n@mx.dest.example>" "MIME-Version: 1.0" \
	    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"' \
	    "" "--B" "Content-Type: text/plain" "" "Not delivered." "--B" \
	    "Content-Type: message/delivery-status" "" \
	    "Reporting-MTA: dns; mx.dest.example" "" \
	    "Final-Recipient: rfc822; $2" "Action: $3" "Status: $4" \
	    "Diagnostic-Code: smtp; $5" "" "--B" \
	    "Content-Type: text/rfc822-headers" "" \
	    "From: news@sender.example" "To: $2" "Subject: News" "" "--B--" >"$f"
	chown 65534:65534 "$f"
}
dsn unknown unknown@dest.example failed 5.1.1 "550 5.1.1 <unknown@dest.example>: Recipient address rejected: User unknown"
dsn full full@dest.example failed 5.1.1 "550 5.1.1 mailbox full"
for i in 1 2 3; do
	dsn full3 full3@dest.example failed 5.1.1 "550 5.1.1 mailbox full"
done
dsn s517 s517@dest.example failed 5.1.7 "553 5.1.7 Sender address rejected: invalid sender address"
dsn s518 s518@dest.example failed 5.1.8 "550 5.1.8 Sender address rejected: Domain not found"
dsn policy policy@dest.example failed 5.7.1 "550 5.7.1 Message rejected due to local policy"
dsn late late@dest.example delayed 4.4.7 "451 4.4.7 delivery delayed"
dsn stranger stranger@dest.example failed 5.1.1 "550 5.1.1 User unknown"

DB="sqlite:$T/p.db"
# The ledger: campaign 1 sent to each address but stranger@.
"$MC" --store "$DB" suppress import /dev/null >/dev/null 2>&1
{
	echo "INSERT INTO lists(id, name, created_at) VALUES (1, 'l', 0);"
	echo "INSERT INTO campaigns(id, name, list_id, status, created_at) VALUES (1, 'c', 1, 'done', 0);"
	for a in unknown full full3 s517 s518 policy late; do
		echo "INSERT INTO contacts(address, domain, created_at, updated_at) VALUES ('$a@dest.example', 'dest.example', 0, 0);"
	done
	echo "INSERT INTO deliveries(campaign_id, contact_id, state, attempts, created_at, updated_at) SELECT 1, id, 'sent', 1, 0, 0 FROM contacts;"
} | sqlite3 "$T/p.db"
run "fetch over IMAP" 0 "$MC" --store "$DB" bounces fetch \
    --mailbox "imap://bounce%40example.test@127.0.0.1:28543" \
    --password-file "$T/pw" --allow-cleartext-auth --json --trust-unsigned
has "every message handled" '"kind":"bounce"'
has "a bounce for an address never sent to is ignored" '"verdict":"ignored: not sent by us","note":"stranger@dest.example"'

# check ADDRESS EXIT REASON: `suppress check` says so.
check() {
	run "suppress check $1" "$2" "$MC" --store "$DB" suppress check "$1"
	if [ "$2" = 0 ]; then has "$1: $3" "$3"; else has "$1: not suppressed" "is not suppressed"; fi
}
check unknown@dest.example 0 hard-bounce
check full@dest.example 1
check full3@dest.example 0 soft-bounces
check s517@dest.example 1
check s518@dest.example 1
check policy@dest.example 1
check late@dest.example 1
check stranger@dest.example 1

# rows ADDRESS: the kinds of its bounce rows, in order.
rows() { sqlite3 "$T/p.db" "SELECT group_concat(kind, ',') FROM (SELECT kind FROM bounces WHERE address = '$1' ORDER BY id)"; }
want() {
	got=$(rows "$1")
	[ "$got" = "$2" ] && pass "rows of $1: $2" || fail "rows of $1: '$got', want '$2'"
}
want unknown@dest.example hard
want full@dest.example soft
want full3@dest.example soft,soft,soft
want s517@dest.example policy
want s518@dest.example policy
want policy@dest.example policy
want late@dest.example ""
want stranger@dest.example ""
OUT=$(sqlite3 "$T/p.db" "SELECT state FROM deliveries d JOIN contacts c ON c.id = d.contact_id WHERE c.address = 'unknown@dest.example'")
has "the ledger row of the hard bounce is bounced" "bounced"
OUT=$(sqlite3 "$T/p.db" "SELECT status_code FROM bounces WHERE address = 's518@dest.example'")
has "the 5.1.8 row keeps its code" "5.1.8"

# --idle-max: the watch ends by itself (exit 0, the summary printed).
start=$(date +%s)
run "--idle --idle-max 2 ends by itself" 0 "$MC" --store "$DB" bounces fetch \
    --mailbox "imap://bounce%40example.test@127.0.0.1:28543" \
    --password-file "$T/pw" --allow-cleartext-auth --idle --idle-max 2
has "the summary after the watch" "0 bounces (0 hard, 0 soft recipients)"
took=$(($(date +%s) - start))
[ "$took" -ge 1 ] && [ "$took" -le 10 ] && pass "it watched for about 2 s ($took s)" ||
    fail "it watched for about 2 s ($took s)"

# A refusal is not a lost session: EX_UNAVAILABLE with the server's words,
# and the session is ended with LOGOUT (Dovecot logs "Logged out"; so
# did the two sessions before).
run "a folder that does not exist" 69 "$MC" --store "$DB" bounces fetch \
    --mailbox "imap://bounce%40example.test@127.0.0.1:28543/Nowhere" \
    --password-file "$T/pw" --allow-cleartext-auth --keep
has "says which command was refused" "SELECT Nowhere"
lacks "not a lost session" "the session ended"
for _ in $(seq 50); do
	[ "$(grep -c 'Logged out' "$D/dovecot.log")" -ge 3 ] && break
	sleep 0.1
done
OUT=$(grep -c "imap(bounce@example.test).*Logged out" "$D/dovecot.log")
[ "$OUT" -ge 3 ] && pass "every IMAP session logged out" ||
    fail "every IMAP session logged out" "$(tail -5 "$D/dovecot.log")"
finish
