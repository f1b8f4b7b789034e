#!/bin/bash
# send_postfix.sh MAILCAST — `mailcast send` against a real Postfix smtpd
# with STARTTLS: the message arrives in the Maildir as it was sent; the
# self-signed certificate is refused unless trusted or checks are off.
. "$(dirname "$0")/../helpers/lib.sh"
MC=$1
H=$(dirname "$0")/../helpers
PORT=21025

"$H/certs.sh" "$T/pf"
"$H/postfix.sh" start "$T/pf" $PORT
on_exit "'$H/postfix.sh' stop '$T/pf' $PORT"
wait_port $PORT || exit 1

# A message with a leading-dot line, a long header, 8-bit text and bare LFs.
printf 'Date: Sun, 29 Nov 2026 12:00:00 +0000\nFrom: Sender <sender@example.org>\nTo: alice@example.test\nSubject: integration test\nMessage-ID: <pf-1@example.org>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nHello Alice,\n.a line starting with a dot\n..and two\ncaf\xc3\xa9\n' >"$T/msg.eml"

run "STARTTLS with --ca-file" 0 "$MC" send --server 127.0.0.1:$PORT \
    --tls starttls --ca-file "$T/pf/cert.pem" --helo client.example.org \
    --from sender@example.org --to alice@example.test --data "$T/msg.eml" --transcript
has "one result line with the server's reply" "alice@example.test: 250 2.0.0 Ok: 313 bytes queued as"
has "whole transaction in one flight (CHUNKING), RSET right behind BDAT LAST" "C: MAIL FROM:<sender@example.org> SIZE=313 BODY=8BITMIME
C: RCPT TO:<alice@example.test>
C: BDAT 313 LAST
C: RSET
S: 250 2.1.0 Ok
S: 250 2.1.5 Ok
S: 250 2.0.0 Ok: 313 bytes queued as"
has "transcript shows STARTTLS" "C: STARTTLS"
has "transcript shows the 220 to STARTTLS" "S: 220 2.0.0 Ready to start TLS"
has "transcript shows TLS session" "* TLS: TLSv1."
has "EHLO name as given" "C: EHLO client.example.org"
if wait_file "$T/pf/vmail/alice/Maildir/new/*" 20; then
	pass "message delivered to the Maildir"
	f=$(ls "$T/pf/vmail/alice/Maildir/new/"* | head -n 1)
	ok "arrived message is the sent one (python email parser)" $PY "$H/same_message.py" "$T/msg.eml" "$f"
	OUT=$(cat "$f")
	has "Postfix saw TLS (ESMTPS)" "with ESMTPS id"
else
	fail "message delivered to the Maildir" "$(tail -n 20 "$T/pf/maillog" 2>/dev/null)"
fi

run "self-signed certificate refused by default" 69 "$MC" send --server 127.0.0.1:$PORT \
    --tls starttls --from sender@example.org --to alice@example.test
has "says why" "not trusted: self-signed certificate"
has "says how to trust it" "--ca-file"

run "--tls-verify no accepts it" 0 "$MC" send --server 127.0.0.1:$PORT \
    --tls starttls --tls-verify no --from sender@example.org --to alice@example.test

run "a message over message_size_limit is refused before DATA" 65 "$MC" send \
    --server 127.0.0.1:$PORT --tls none --from sender@example.org \
    --to alice@example.test --data <(head -c 2000000 /dev/zero | tr '\0' 'x' | fold -w 70)
has "names the SIZE limit" "exceeds the server's SIZE limit of 1048576 bytes"

finish
