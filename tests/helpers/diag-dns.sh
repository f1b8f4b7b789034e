#!/bin/bash
# diag-dns.sh start|stop DIR PORT -- unbound on 127.0.0.1:PORT answering only
# made-up zones for the diagnostics tests (nothing is forwarded; every other
# name is refused).  State (config, pid, log, the DKIM key) lives in DIR.
#
#   good.test       2 MX of equal preference + 1 backup, SPF -all over
#                   192.0.2.0/24, DMARC p=reject, DKIM sel1 (RSA 2048)
#   nospf.test      MX, no SPF, no DMARC
#   manyspf.test    SPF whose include tree needs 12 DNS lookups (6 include + 6 in i1)
#   dmarcnone.test  DMARC p=none
#   nullmx.test     MX 0 . (RFC 7505)
#   nomx.test       an A record only (implicit MX)
#   192.0.2.2       PTR mail.good.test, which resolves back (forward-confirmed)
#   bl.test         DNSBL listing 192.0.2.66 (127.0.0.2 + TXT reason)
#   errbl.test      DNSBL answering 127.255.255.254 (a query error) for 192.0.2.2
set -euo pipefail
cmd=${1:-}; D=${2:-}; PORT=${3:-23053}
[ -n "$cmd" ] && [ -n "$D" ] || { echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2; }
mkdir -p "$D"
case "$cmd" in
start)
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$D/dkim.key" 2>/dev/null
	P=$(openssl pkey -in "$D/dkim.key" -pubout -outform DER 2>/dev/null | base64 -w0)
	# a TXT string is at most 255 bytes: split the key into several strings
	PS=$(echo -n "$P" | fold -w 200 | sed 's/.*/"&"/' | tr '\n' ' ')
	inc=""
	for i in 1 2 3 4 5 6; do inc="$inc include:i$i.manyspf.test"; done
	cat >"$D/unbound.conf" <<CONF
server:
  interface: 127.0.0.1
  port: $PORT
  do-ip6: no
  username: ""
  chroot: ""
  directory: "$D"
  pidfile: "$D/unbound.pid"
  logfile: "$D/unbound.log"
  use-syslog: no
  verbosity: 1
  access-control: 127.0.0.0/8 allow
  local-zone: "good.test." static
  local-data: "good.test. 300 IN MX 10 mx1.good.test."
  local-data: "good.test. 300 IN MX 10 mx2.good.test."
  local-data: "good.test. 300 IN MX 20 backup.good.test."
  local-data: "mx1.good.test. 300 IN A 192.0.2.10"
  local-data: "mx2.good.test. 300 IN A 192.0.2.11"
  local-data: "backup.good.test. 300 IN A 192.0.2.12"
  local-data: "mail.good.test. 300 IN A 192.0.2.2"
  local-data: 'good.test. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"'
  local-data: '_dmarc.good.test. 300 IN TXT "v=DMARC1; p=reject; rua=mailto:d@good.test"'
  local-data: 'sel1._domainkey.good.test. 300 IN TXT "v=DKIM1; k=rsa; p=" $PS'
  local-zone: "nospf.test." static
  local-data: "nospf.test. 300 IN MX 10 mx.nospf.test."
  local-data: "mx.nospf.test. 300 IN A 192.0.2.20"
  local-zone: "manyspf.test." static
  local-data: "manyspf.test. 300 IN MX 10 mx.manyspf.test."
  local-data: "mx.manyspf.test. 300 IN A 192.0.2.30"
  local-data: 'manyspf.test. 300 IN TXT "v=spf1$inc -all"'
  local-data: 'i1.manyspf.test. 300 IN TXT "v=spf1 a mx a:mx.manyspf.test mx:manyspf.test exists:e.manyspf.test a:good.test -all"'
  local-data: 'i2.manyspf.test. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 ~all"'
  local-data: 'i3.manyspf.test. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 ~all"'
  local-data: 'i4.manyspf.test. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 ~all"'
  local-data: 'i5.manyspf.test. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 ~all"'
  local-data: 'i6.manyspf.test. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 ~all"'
  local-data: '_dmarc.manyspf.test. 300 IN TXT "v=DMARC1; p=quarantine"'
  local-zone: "dmarcnone.test." static
  local-data: "dmarcnone.test. 300 IN MX 10 mx.dmarcnone.test."
  local-data: "mx.dmarcnone.test. 300 IN A 192.0.2.40"
  local-data: 'dmarcnone.test. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"'
  local-data: '_dmarc.dmarcnone.test. 300 IN TXT "v=DMARC1; p=none"'
  local-zone: "nullmx.test." static
  local-data: "nullmx.test. 300 IN MX 0 ."
  local-data: 'nullmx.test. 300 IN TXT "v=spf1 -all"'
  local-zone: "nomx.test." static
  local-data: "nomx.test. 300 IN A 192.0.2.50"
  local-data: 'nomx.test. 300 IN TXT "v=spf1 a -all"'
  local-zone: "2.0.192.in-addr.arpa." static
  local-data: "2.2.0.192.in-addr.arpa. 300 IN PTR mail.good.test."
  local-zone: "bl.test." static
  local-data: "66.2.0.192.bl.test. 300 IN A 127.0.0.2"
  local-data: '66.2.0.192.bl.test. 300 IN TXT "listed for testing"'
  local-zone: "errbl.test." static
  local-data: "2.2.0.192.errbl.test. 300 IN A 127.255.255.254"
  local-zone: "." refuse
remote-control:
  control-enable: no
CONF
	unbound-checkconf "$D/unbound.conf" >/dev/null
	unbound -d -c "$D/unbound.conf" >"$D/unbound.out" 2>&1 &
	echo $! >"$D/unbound.bgpid"
	;;
stop)
	if [ -f "$D/unbound.bgpid" ]; then
		kill "$(cat "$D/unbound.bgpid")" 2>/dev/null || true
		rm -f "$D/unbound.bgpid"
	fi
	;;
*) echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2 ;;
esac
