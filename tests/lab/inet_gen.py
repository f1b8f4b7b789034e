#!/usr/bin/env python3
"""inet_gen.py DIR NDOMAINS NRCPTS HOSTS -- the internet lab's world.

Writes DIR/zone.conf (unbound local-data for every domain and MX host),
DIR/domains.tsv (domain, class), DIR/list.csv (the recipients) and
DIR/expect.tsv (address, class).  Classes and shares of the domains:
  d20 d80 d150 d300  MX on a receiver behind that round-trip time (ms)
  grey   5%          MX on the greylisting receiver (451 4.7.1, first try)
  slow   1%          MX on the slow receiver (every RCPT delayed)
  null   0.2%        RFC 7505 null MX ("MX 0 .")
  nx     0.2%        no such domain (NXDOMAIN)
  dead   0.2%        MX on an address that nobody answers (dropped)
Receiver addresses: 10.100.K.1..HOSTS, K = 1 2 3 4 (d20..d300), 5 grey,
6 slow, 99 dead (routed into the d20 host, which does not own it).
Deterministic: the same arguments give the same files.
"""
import sys

d, ndom, nrcpt, hosts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
NET = {"d20": 1, "d80": 2, "d150": 3, "d300": 4, "grey": 5, "slow": 6, "dead": 99}
NHOSTS = {"grey": max(1, hosts // 5), "slow": max(1, hosts // 10), "dead": max(1, hosts // 20)}


def share(p):
    return max(1, round(ndom * p))


special = [("grey", share(0.05)), ("slow", share(0.01)), ("null", share(0.002)),
           ("nx", share(0.002)), ("dead", share(0.002))]
classes = []
for c, n in special:
    classes += [c] * n
plain = ["d20", "d80", "d150", "d300"]
i = 0
while len(classes) < ndom:
    classes.append(plain[i % 4])
    i += 1
# spread the special classes through the list, not at its head
order = sorted(range(ndom), key=lambda k: (k * 7919) % ndom)
doms = [("dom%05d.test" % k, classes[order[k]]) for k in range(ndom)]

z = ['local-zone: "test." static']
for c, k in NET.items():
    for h in range(1, NHOSTS.get(c, hosts) + 1):
        z.append('local-data: "mx%d.%s.net.test. 3600 IN A 10.100.%d.%d"' % (h, c, k, h))
for n, (dom, c) in enumerate(doms):
    if c == "nx":
        continue
    if c == "null":
        z.append('local-data: "%s. 3600 IN MX 0 ."' % dom)
        continue
    h = n % NHOSTS.get(c, hosts) + 1
    z.append('local-data: "%s. 3600 IN MX 10 mx%d.%s.net.test."' % (dom, h, c))
open(d + "/zone.conf", "w").write("\n".join(z) + "\n")
with open(d + "/domains.tsv", "w") as f:
    for dom, c in doms:
        f.write("%s\t%s\n" % (dom, c))
with open(d + "/list.csv", "w") as f, open(d + "/expect.tsv", "w") as e:
    f.write("email,first_name\n")
    for r in range(nrcpt):
        dom, c = doms[r % ndom]
        a = "u%06d@%s" % (r, dom)
        f.write("%s,U%d\n" % (a, r))
        e.write("%s\t%s\n" % (a, c))
