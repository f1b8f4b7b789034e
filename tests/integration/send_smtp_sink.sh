#!/bin/bash
# send_smtp_sink.sh MAILCAST — `mailcast send` into Postfix's smtp-sink,
# one message and a load run over reused, pipelined connections.
. "$(dirname "$0")/../helpers/lib.sh"
MC=$1
PORT=21026

/usr/sbin/smtp-sink -u nobody -c 127.0.0.1:$PORT 256 >"$T/sink.out" 2>&1 &
on_exit "kill $!"
wait_port $PORT || exit 1

run "one message" 0 "$MC" send --server 127.0.0.1:$PORT --tls none \
    --from a@example.org --to b@example.net --transcript
has "MAIL, RCPT and DATA in one flight" "C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.net>
C: DATA
S: 250 2.1.0 Ok"
has "EHLO with an address literal when there is no FQDN, never localhost" "C: EHLO ["
has "result line" "b@example.net: 250 2.0.0 Ok"

run "load: 2000 messages over 8 connections" 0 "$MC" send --server 127.0.0.1:$PORT \
    --tls none --from a@example.org --to b@example.net --count 2000 --connections 8
has "all sent" "sent 2000 of 2000 messages (2000 recipients delivered, 0 refused, 0 deferred, 0 not attempted) over 8 connections"

run "load without CHUNKING: DATA pipelining" 0 "$MC" send --server 127.0.0.1:$PORT \
    --tls none --from a@example.org --to b@example.net --to c@example.net --count 500 \
    --connections 3 --no-chunking
has "all sent" "sent 500 of 500 messages (1000 recipients delivered"

finish
