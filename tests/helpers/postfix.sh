#!/bin/sh
# postfix.sh start|stop DIR PORT — a private Postfix instance for tests.
#
# smtpd on 127.0.0.1:PORT only, with STARTTLS (DIR/cert.pem, DIR/key.pem),
# Maildir delivery by virtual(8) for alice@example.test into
# DIR/vmail/alice/Maildir/, real bounces (DSNs) for unknown users of
# example.test, and nothing ever leaving the machine: every other domain is
# bounced at once by the error transport.  Needs root (Postfix drops
# privileges itself).  Queue, logs and mail all live under DIR.
set -eu
cmd=$1 D=$2 PORT=${3:-21025}
case $cmd in
start)
	mkdir -p "$D/etc" "$D/spool" "$D/data" "$D/vmail"
	chown 65534:65534 "$D/vmail"
	# Debian's master.cf without its port-25 listener and without chroot
	# (our queue is not under /var/spool), plus our listener.
	sed -e '/^smtp[[:space:]]\{1,\}inet/d' \
	    -e 's/^\([a-z]\{1,\}[[:space:]]\{1,\}unix[[:space:]]\{1,\}[-n][[:space:]]\{1,\}[-n][[:space:]]\{1,\}\)y/\1n/' \
	    /etc/postfix/master.cf >"$D/etc/master.cf"
	echo "127.0.0.1:$PORT inet n - n - - smtpd" >>"$D/etc/master.cf"
	cat >"$D/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $D/spool
data_directory = $D/data
maillog_file = $D/maillog
maillog_file_prefixes = /tmp, /var, /dev/stdout
myhostname = mx.example.test
mydomain = example.test
myorigin = example.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
default_transport = error:outbound mail disabled in test instance
virtual_mailbox_domains = example.test
virtual_mailbox_base = $D/vmail
virtual_mailbox_maps = inline:{ alice@example.test=alice/Maildir/, bounce@example.test=bounce/Maildir/ }
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
smtpd_reject_unlisted_recipient = no
smtpd_tls_cert_file = $D/cert.pem
smtpd_tls_key_file = $D/key.pem
smtpd_tls_security_level = may
smtputf8_enable = yes
message_size_limit = 1048576
CF
	postfix -c "$D/etc" set-permissions >/dev/null 2>&1 || true
	# Postfix reports its own start-up errors only to syslog or a tty.
	script -qec "postfix -c $D/etc check" /dev/null
	script -qec "postfix -c $D/etc start" /dev/null
	;;
stop)
	postfix -c "$D/etc" stop >/dev/null 2>&1 || true
	# master may take a moment; make sure nothing of ours is left.
	i=0
	while [ -f "$D/spool/pid/master.pid" ] && [ $i -lt 50 ]; do
		kill -0 "$(cat "$D/spool/pid/master.pid" 2>/dev/null)" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	;;
*)
	echo "usage: $0 start|stop DIR PORT" >&2
	exit 64
	;;
esac
