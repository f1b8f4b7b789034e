#!/usr/bin/env python3
"""inet_check.py -- final states of the internet lab's recipients.

  inet_check.py --postfix-log MAILLOG        Postfix's last state of each
      recipient (sent, bounced, deferred) from its log, as "address\\tstate"
  inet_check.py --settled EXPECT STATES      exit 0 when every recipient
      is in a final state its domain allows (dead hosts: deferred will do)
      and, for null MX and NXDOMAIN, failed for that reason
  inet_check.py --wrong EXPECT STATES        "wrong N of M" and one line
      per recipient whose state its domain does not allow

What each domain class (inet_gen.py) allows, mailcast's words and Postfix's:
  d20 d80 d150 d300 slow grey   sent
  null nx                       failed (mailcast) / bounced (Postfix)
  dead                          failed, deferred / bounced, deferred
STATES lines are "address\tstate\treply"; the reply of a null MX row must
say "null MX" (Postfix: "nullMX"), of an NXDOMAIN row "NXDOMAIN" (Postfix:
"not found"), so a row that failed for another reason (given up after
retries) is wrong.  mailcast's rows carry a fourth column, the attempts:
null MX and NXDOMAIN must fail at the first (DNS answered for good),
greylisted rows be sent at the second or later (the 451 was taken as a
deferral); Postfix's rows get "1", or "2" when a deferral was logged first.
"""
import re
import sys

OK = {"sent": {"sent"}, "gone": {"failed", "bounced"},
      "dead": {"failed", "bounced", "deferred"}}
KIND = {"null": "gone", "nx": "gone", "dead": "dead"}
WHY = {"null": ("null MX", "nullMX"), "nx": ("NXDOMAIN", "not found")}


def load(path, sep="\t"):
    d = {}
    try:
        for line in open(path):
            a, _, b = line.rstrip("\n").partition(sep)
            d[a] = b
    except OSError:
        pass
    return d


def wrong(expect, states):
    bad = []
    for a, c in expect.items():
        st, _, why = states.get(a, "").partition("\t")
        why, _, tries = why.partition("\t")
        if st not in OK[KIND.get(c, "sent")]:
            bad.append((a, c, st))
        elif c in WHY and not any(w in why for w in WHY[c]):
            bad.append((a, c, st + " " + why))
        elif c in WHY and tries not in ("", "1"):
            bad.append((a, c, "%s after %s attempts" % (st, tries)))
        elif c == "grey" and tries in ("", "0", "1"):
            bad.append((a, c, "%s at attempt %s" % (st, tries or "?")))
    return bad


def main():
    if sys.argv[1] == "--postfix-log":
        last, deferred = {}, set()
        pat = re.compile(r" to=<([^>]+)>.* status=(\w+) ?(.*)")
        for line in open(sys.argv[2], errors="replace"):
            m = pat.search(line)
            if m:
                prev = last.get(m.group(1))
                if prev in ("sent", "bounced"):
                    continue
                last[m.group(1)] = m.group(2) + "\t" + m.group(3)
                if m.group(2) == "deferred":
                    deferred.add(m.group(1))
        for a, s in last.items():
            print("%s\t%s\t%d" % (a, s, 2 if a in deferred else 1))
        return 0
    expect, states = load(sys.argv[2]), load(sys.argv[3])
    bad = wrong(expect, states)
    if sys.argv[1] == "--settled":
        return 1 if bad else 0
    print("wrong %d of %d" % (len(bad), len(expect)))
    for a, c, st in bad[:50]:
        print("%s\t%s\t%s" % (a, c, st))
    return 0


sys.exit(main())
