#!/bin/bash
# mailbox_dovecot.sh MAILCAST — `mailcast bounces fetch` against a real
# Dovecot started here (tests/helpers/dovecot.sh, ports 28110/28143/28993/
# 28995): POP3 (CRAM-MD5 without TLS) and POP3S, IMAP with STARTTLS and
# IMAPS.  Each mode: a mailbox seeded with bounces, a complaint, an
# auto-reply, an unsubscribe request and ordinary mail gives the right
# suppressions; ordinary mail stays in the mailbox; a second run handles
# nothing; a connection cut in the middle of a fetch (a proxy) loses and
# repeats nothing on the next run.  Also: a wrong password, a certificate
# that is not trusted.
MC=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../helpers/lib.sh"
D=$T/dovecot
M="$D/mail/bounce@example.test/Maildir"
if ! "$HERE/../helpers/dovecot.sh" start "$D" 28000 >"$T/dc.out" 2>&1; then
	fail "dovecot starts" "$(cat "$T/dc.out")"
	finish
fi
on_exit "$HERE/../helpers/dovecot.sh" stop "$D"
printf 'secret\n' >"$T/pw"
CA="--ca-file $D/cert.pem"
# The VERP token key: the seeded messages carry tokens made with it, for
# contacts the seeded ledger shows were sent to (ingest acts on nothing
# else).
openssl rand -hex 32 >"$T/token.key"
KEY="--token-key $T/token.key"
# seed DB PREFIX: a new store DB with the ledger rows, the messages in M.
seed() {
	rm -f "$1"
	"$MC" --store "sqlite:$1" suppress import /dev/null >/dev/null 2>&1
	python3 "$HERE/mailbox_seed.py" "$M" "$2" "$T/token.key" "$1" >/dev/null
}

# sup DB ADDRESS: the suppression reason of ADDRESS, or "none".
sup() {
	r=$(sqlite3 "$1" "SELECT reason FROM suppressions WHERE entry = '$2'")
	echo "${r:-none}"
}
# count DB SQL
count() { sqlite3 "$1" "$2"; }
# inbox: how many messages are in the INBOX (new + cur)
inbox() { ls "$M/new" "$M/cur" 2>/dev/null | grep -c '^[0-9]'; }

# mode NAME URL DISPOSE-OPTS [EXTRA...]
mode() {
	m=$1 url=$2 disp=$3
	shift 3
	db="$T/$m.db"
	rm -f "$M"/new/* "$M"/cur/*
	seed "$db" "$m"
	run "$m: fetch" 0 "$MC" --store "sqlite:$db" bounces fetch $KEY \
	    --mailbox "$url" --password-file "$T/pw" $disp "$@"
	has "$m: summary" "2 bounces (1 hard, 1 soft recipients), 1 complaints, 1 unsubscribe requests, 1 auto-replies, 2 other, 0 skipped"
	[ "$(sup "$db" "hard-$m@dest.example")" = hard-bounce ] &&
	    pass "$m: hard bounce suppressed" ||
	    fail "$m: hard bounce suppressed" "$(sup "$db" "hard-$m@dest.example")"
	[ "$(sup "$db" "soft-$m@dest.example")" = none ] &&
	    pass "$m: one soft bounce only counted" ||
	    fail "$m: one soft bounce only counted"
	[ "$(count "$db" "SELECT count(*) FROM bounces WHERE kind='soft' AND address='soft-$m@dest.example'")" = 1 ] &&
	    pass "$m: soft bounce recorded" || fail "$m: soft bounce recorded"
	[ "$(sup "$db" "fbl-$m@dest.example")" = complaint ] &&
	    pass "$m: complaint suppressed" || fail "$m: complaint suppressed"
	[ "$(sup "$db" "leaver-$m@dest.example")" = unsubscribed ] &&
	    pass "$m: unsubscribe request" || fail "$m: unsubscribe request"
	[ "$(count "$db" "SELECT count(*) FROM suppressions")" = 3 ] &&
	    pass "$m: nothing else suppressed" ||
	    fail "$m: nothing else suppressed" "$(count "$db" "SELECT * FROM suppressions")"
	[ "$(count "$db" "SELECT count(*) FROM bounces WHERE source LIKE '<%-$m@%>'")" = 4 ] &&
	    pass "$m: effects carry the source Message-ID" ||
	    fail "$m: effects carry the source Message-ID" "$(count "$db" "SELECT address, source FROM bounces")"
	left=$(inbox)
	[ "$left" = 3 ] && pass "$m: ordinary mail and the auto-reply stay ($left)" ||
	    fail "$m: ordinary mail stays: $left messages left, expected 3"
	cat "$M"/new/* "$M"/cur/* 2>/dev/null | grep -q "Are you free on Tuesday" &&
	    pass "$m: the ordinary message is intact" ||
	    fail "$m: the ordinary message is intact"
	run "$m: second run" 0 "$MC" --store "sqlite:$db" bounces fetch $KEY \
	    --mailbox "$url" --password-file "$T/pw" $disp "$@"
	has "$m: second run handles nothing" "0 bounces (0 hard, 0 soft recipients), 0 complaints, 0 unsubscribe requests, 0 auto-replies, 0 other, 0 skipped, 3 already handled"
	[ "$(count "$db" "SELECT count(*) FROM bounces")" = 4 ] &&
	    pass "$m: no effect twice" || fail "$m: no effect twice"
}

mode imaps "imaps://bounce%40example.test@127.0.0.1:28993" "" $CA
mode imapstls "imap://bounce%40example.test@127.0.0.1:28143" "" --starttls $CA
ls "$M/.mailcast-handled/new" "$M/.mailcast-handled/cur" 2>/dev/null | grep -q '^[0-9]' &&
    pass "imap: handled messages moved to mailcast-handled" ||
    fail "imap: handled messages moved to mailcast-handled"
mode pop3 "pop3://bounce%40example.test@127.0.0.1:28110" --delete
mode pop3s "pop3s://bounce%40example.test@127.0.0.1:28995" --delete $CA

# Forged: the same messages unsigned (no token, no ledger rows) change
# nothing; each says why, and stays in the mailbox.
db="$T/forged.db"
rm -f "$M"/new/* "$M"/cur/* "$db"
python3 "$HERE/mailbox_seed.py" "$M" forged >/dev/null
"$MC" --store "sqlite:$db" suppress import /dev/null >/dev/null 2>&1
run "forged: fetch" 0 "$MC" --store "sqlite:$db" bounces fetch $KEY \
    --mailbox "imaps://bounce%40example.test@127.0.0.1:28993" \
    --password-file "$T/pw" $CA
has "forged: a bounce without a token is unverified" "bounce: unverified: no token"
has "forged: a complaint without a token is unverified" "complaint: unverified: no token"
has "forged: the unsubscribe's From is not acted on" "the sender leaver-forged@dest.example is not unsubscribed"
has "forged: the summary counts them" "0 newly suppressed, 0 moved or deleted; 4 unverified"
[ "$(count "$db" "SELECT count(*) FROM suppressions")" = 0 ] &&
    pass "forged: nothing suppressed" ||
    fail "forged: nothing suppressed" "$(count "$db" "SELECT * FROM suppressions")"
[ "$(count "$db" "SELECT count(*) FROM events WHERE kind = 'ingest-unverified'")" = 4 ] &&
    pass "forged: each recorded as unverified" ||
    fail "forged: each recorded as unverified" "$(count "$db" "SELECT kind, detail FROM events")"
[ "$(inbox)" = 7 ] && pass "forged: all left in the mailbox" ||
    fail "forged: all left in the mailbox: $(inbox)"

# --max-size: a message over it is skipped with the reason, remembered
# (not fetched again) and left in the mailbox; the others are handled.
big() {
	m=$1 url=$2
	shift 2
	db="$T/big-$m.db"
	rm -f "$M"/new/* "$M"/cur/*
	seed "$db" "big$m"
	f=$(ls "$M"/new/*.hard)
	head -c 3000 /dev/zero | tr '\0' 'x' | fold -w 70 >>"$f" # 3 KB
	run "$m: --max-size 1024" 0 "$MC" --store "sqlite:$db" bounces fetch $KEY \
	    --mailbox "$url" --password-file "$T/pw" --max-size 1024 --keep "$@"
	has "$m: the reason" "over the limit of 1024"
	has "$m: one skipped, the rest handled" "1 bounces (0 hard, 1 soft recipients), 1 complaints, 1 unsubscribe requests, 1 auto-replies, 2 other, 1 skipped"
	[ "$(sup "$db" "hard-big$m@dest.example")" = none ] &&
	    pass "$m: the skipped bounce has no effect" ||
	    fail "$m: the skipped bounce has no effect"
	run "$m: second run" 0 "$MC" --store "sqlite:$db" bounces fetch $KEY \
	    --mailbox "$url" --password-file "$T/pw" --max-size 1024 --keep "$@"
	has "$m: the skipped one is not fetched again" "0 skipped, "
	f=$(ls "$M"/new/*.hard "$M"/cur/*.hard* 2>/dev/null | head -n 1)
	[ -n "$f" ] && pass "$m: the big message stays in the mailbox" ||
	    fail "$m: the big message stays in the mailbox"
}
big imaps "imaps://bounce%40example.test@127.0.0.1:28993" $CA
big pop3s "pop3s://bounce%40example.test@127.0.0.1:28995" $CA

# A connection cut in the middle: the third UID FETCH / RETR never
# arrives.  The next run (direct) goes on; nothing is lost or repeated.
cut() {
	m=$1 url=$2 direct=$3 word=$4
	shift 4
	db="$T/$m.db"
	rm -f "$M"/new/* "$M"/cur/*
	seed "$db" "$m"
	/usr/bin/python3 "$HERE/mailbox_cut_proxy.py" 28300 "${url##*:}" "$word" 3 &
	ppid=$!
	on_exit kill $ppid
	wait_port 28300
	run "$m: the cut session fails with EX_TEMPFAIL" 75 "$MC" \
	    --store "sqlite:$db" bounces fetch $KEY --mailbox "${url%:*}:28300" \
	    --password-file "$T/pw" "$@"
	has "$m: says the session ended" "the session ended"
	kill $ppid
	run "$m: the next run" 0 "$MC" --store "sqlite:$db" bounces fetch $KEY \
	    --mailbox "$direct" --password-file "$T/pw" "$@"
	left=$(inbox)
	[ "$left" = 3 ] && pass "$m: only the ordinary mail and the auto-reply are left" ||
	    fail "$m: only the ordinary mail and the auto-reply are left: $left"
	[ "$(count "$db" "SELECT count(*) FROM bounces")" = 4 ] &&
	    pass "$m: every effect once after the cut" ||
	    fail "$m: every effect once after the cut" "$(count "$db" "SELECT address, kind FROM bounces")"
	[ "$(count "$db" "SELECT count(*) FROM suppressions")" = 3 ] &&
	    pass "$m: suppressions complete" || fail "$m: suppressions complete"
}
cut imapcut "imap://bounce%40example.test@127.0.0.1:28143" \
    "imap://bounce%40example.test@127.0.0.1:28143" "UID FETCH" --allow-cleartext-auth
cut pop3cut "pop3://bounce%40example.test@127.0.0.1:28110" \
    "pop3://bounce%40example.test@127.0.0.1:28110" "RETR" --delete

# Failures a user must understand.
printf 'wrong\n' >"$T/badpw"
# bounces fetch needs an existing store (a mistyped one is an error)
for s in x y; do
	"$MC" --store "sqlite:$T/$s.db" suppress import /dev/null >/dev/null 2>&1
done
run "wrong password: EX_NOPERM" 77 "$MC" --store "sqlite:$T/x.db" bounces \
    fetch --mailbox "imaps://bounce%40example.test@127.0.0.1:28993" \
    --password-file "$T/badpw" $CA
has "wrong password: the server's words" "Authentication failed"
run "untrusted certificate refused" 69 "$MC" --store "sqlite:$T/x.db" \
    bounces fetch --mailbox "pop3s://bounce%40example.test@127.0.0.1:28995" \
    --password-file "$T/pw"
has "untrusted certificate: says so" "certificate"
MAILCAST_MAILBOX_PASSWORD=secret run "--tls-verify no, password from the environment" 0 \
    "$MC" --store "sqlite:$T/y.db" bounces fetch --keep \
    --mailbox "imaps://bounce%40example.test@127.0.0.1:28993" --tls-verify no
run "a password in the URL is refused" 64 "$MC" --store "sqlite:$T/x.db" \
    bounces fetch --mailbox "imap://u:p@127.0.0.1:28143" --password-file "$T/pw"
# IDLE: a fetch that keeps watching handles a bounce that arrives while it
# waits (Dovecot wakes it with EXISTS), without a second run.
db="$T/idle.db"
rm -f "$M"/new/* "$M"/cur/*
"$MC" --store "sqlite:$db" suppress import /dev/null >/dev/null 2>&1
"$MC" -v --store "sqlite:$db" bounces fetch $KEY --idle --idle-max 30 \
    --mailbox "imaps://bounce%40example.test@127.0.0.1:28993" \
    --password-file "$T/pw" $CA >"$T/idle.out" 2>&1 &
idle_pid=$!
on_exit "kill $idle_pid"
# The first pass finds an empty mailbox, then it waits in IDLE (-v says so).
for _ in $(seq 100); do
	grep -q "waiting for new mail (IDLE)" "$T/idle.out" 2>/dev/null && break
	sleep 0.1
done
grep -q "waiting for new mail (IDLE)" "$T/idle.out" &&
    pass "idle: waiting in IDLE after the first pass" ||
    fail "idle: waiting in IDLE after the first pass" "$(cat "$T/idle.out")"
python3 "$HERE/mailbox_seed.py" "$M" idle "$T/token.key" "$db" >/dev/null
for _ in $(seq 150); do
	[ "$(sup "$db" "hard-idle@dest.example")" = hard-bounce ] && break
	sleep 0.1
done
[ "$(sup "$db" "hard-idle@dest.example")" = hard-bounce ] &&
    pass "idle: a bounce that arrives later is handled" ||
    fail "idle: a bounce that arrives later is handled" "$(cat "$T/idle.out")"
kill "$idle_pid" 2>/dev/null
wait "$idle_pid" 2>/dev/null
finish
