#!/bin/bash
# dovecot.sh start|stop DIR [BASEPORT] — a throwaway Dovecot for the mailbox
# tests, all state under DIR: IMAP BASE+143, IMAPS BASE+993, POP3 BASE+110,
# POP3S BASE+995 (BASE 28000 by default: 28143, 28993, 28110, 28995) on
# 127.0.0.1, a self-signed certificate for localhost/127.0.0.1 (DIR/cert.pem,
# the CA to trust), the passwd-file user bounce@example.test:secret, and
# Maildir mailboxes under DIR/mail/USER/Maildir owned by nobody.
# Needs root (Dovecot drops privileges itself).  Nothing from /etc/dovecot
# is read.
set -euo pipefail
cmd=${1:-}
D=${2:?usage: dovecot.sh start|stop DIR [BASEPORT]}
B=${3:-28000}
case "$cmd" in
start)
	mkdir -p "$D"/{run,state,mail}
	if [ ! -f "$D/cert.pem" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
		    -subj "/CN=localhost" \
		    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
		    -keyout "$D/key.pem" -out "$D/cert.pem" 2>/dev/null
	fi
	chmod 644 "$D/cert.pem"
	printf '%s\n' 'bounce@example.test:{PLAIN}secret' >"$D/users"
	chmod 640 "$D/users"
	chown root:dovecot "$D/users"
	mkdir -p "$D/mail/bounce@example.test/Maildir"/{new,cur,tmp}
	chown -R 65534:65534 "$D/mail"
	cat >"$D/dovecot.conf" <<CONF
base_dir = $D/run
state_dir = $D/state
log_path = $D/dovecot.log
info_log_path = $D/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <$D/cert.pem
ssl_key = <$D/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login cram-md5
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $D/users
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=$D/mail/%u
}
mail_location = maildir:~/Maildir
pop3_uidl_format = %08Xu%08Xv
service imap-login {
  inet_listener imap {
    port = $((B + 143))
  }
  inet_listener imaps {
    port = $((B + 993))
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = $((B + 110))
  }
  inet_listener pop3s {
    port = $((B + 995))
    ssl = yes
  }
}
CONF
	dovecot -c "$D/dovecot.conf"
	for _ in $(seq 100); do
		if ss -ltn | grep -q "127.0.0.1:$((B + 995)) "; then
			exit 0
		fi
		sleep 0.1
	done
	echo "dovecot did not start; see $D/dovecot.log" >&2
	exit 1
	;;
stop)
	if [ -f "$D/run/master.pid" ] && pid=$(cat "$D/run/master.pid") &&
	    kill "$pid" 2>/dev/null; then
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || exit 0
			sleep 0.1
		done
	fi
	;;
*)
	echo "usage: $0 start|stop DIR [BASEPORT]" >&2
	exit 2
	;;
esac
