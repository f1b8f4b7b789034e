#!/usr/bin/python3
"""engine_smtputf8.py MAILCAST — SMTPUTF8 in campaigns, bytes on the wire.

Three recipients: an ASCII one, one with an internationalised domain
(anna@münchen.example, which the import keeps as its A-label) and one with a UTF-8 local part (jörg@…).  To a
relay without SMTPUTF8 (tests/helpers/hostile_relay.py --mode plain): the
domain goes out as its A-label (envelope and To: header), no SMTPUTF8
parameter, no raw UTF-8 on the wire, and jörg is failed at once with
"server does not offer SMTPUTF8; the address needs it" and not suppressed.
To a relay that offers it (--mode utf8): all three sent, MAIL FROM carries
SMTPUTF8 for jörg (and only for jörg).  Ports 26710, 26711.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from engine_lib import Case, Fail, stop, wait_port  # noqa: E402

HELPER = os.path.join(os.path.dirname(__file__), "..", "helpers",
                      "hostile_relay.py")
ASCII = "plain@a.example"
IDN = "anna@m\u00fcnchen.example"
IDN_A = "anna@xn--mnchen-3ya.example"
UTF = "j\u00f6rg@u.example"
REASON = "server does not offer SMTPUTF8; the address needs it"


def campaign(c, port, mode, name):
    log = os.path.join(c.dir, mode + ".json")
    relay = subprocess.Popen(["/usr/bin/python3", HELPER, "--port",
                              str(port), "--mode", mode, "--log", log])
    c.procs.append(relay)
    wait_port(port)
    cid = c.mailcast("campaign", "create", "--name", name, "--list", "l",
                     "--template", c.tpl, "--from", "news@news.example",
                     "--relay", "127.0.0.1:%d" % port, "--tls", "none",
                     "--timeout", "5000").stdout.strip()
    run = c.mailcast("campaign", "start", cid, "--quiet", check=False,
                     timeout=60)
    stop(relay)
    with open(log) as f:
        rec = json.load(f)
    who = c.mailcast("campaign", "who", cid, "--csv").stdout.splitlines()
    rows = {ln.split(",")[0]: ln for ln in who[1:]}
    return run, rec, rows


c = Case(sys.argv[1])
try:
    c.tpl = c.make_list([ASCII, IDN, UTF])
    # a relay without SMTPUTF8
    run, rec, rows = campaign(c, 26710, "plain", "plain")
    lines = rec["lines"]
    c.check("plain: the run ends (exit 0)", run.returncode == 0,
            (run.returncode, run.stdout, run.stderr))
    c.check("plain: no raw UTF-8 on the wire",
            not [ln for ln in lines if any(ord(ch) > 127 for ch in ln)],
            lines)
    c.check("plain: the IDN recipient as its A-label",
            "RCPT TO:<%s>" % IDN_A in lines, lines)
    c.check("plain: no SMTPUTF8 parameter",
            not [ln for ln in lines if "SMTPUTF8" in ln.upper()], lines)
    c.check("plain: the UTF-8 local part never reaches RCPT",
            not [ln for ln in lines if ln.startswith("RCPT TO:<j")], lines)
    c.check("plain: ASCII and IDN sent",
            ",sent," in rows.get(ASCII, "") and ",sent," in
            rows.get(IDN_A, ""), rows)
    c.check("plain: the UTF-8 local part failed with the reason",
            ",failed," in rows.get(UTF, "") and REASON in rows.get(UTF, ""),
            rows.get(UTF))
    c.check("plain: two messages, To: headers ASCII",
            len(rec["msgs"]) == 2 and
            all(all(ord(ch) < 128 for ch in m.split("\r\n\r\n")[0])
                for m in rec["msgs"]) and
            any(IDN_A in m for m in rec["msgs"]), rec["msgs"])
    supp = c.mailcast("suppress", "list").stdout
    c.check("plain: the UTF-8 address not suppressed", UTF not in supp,
            supp)
    # a relay that offers SMTPUTF8
    run, rec, rows = campaign(c, 26711, "utf8", "utf8")
    lines = rec["lines"]
    c.check("utf8: the run ends (exit 0)", run.returncode == 0,
            (run.returncode, run.stdout, run.stderr))
    c.check("utf8: all three sent",
            all(",sent," in rows.get(a, "") for a in (ASCII, IDN_A, UTF)),
            rows)
    c.check("utf8: RCPT TO the UTF-8 address as is",
            "RCPT TO:<%s>" % UTF.encode().decode("latin-1") in lines, lines)
    mails = [ln for ln in lines if ln.upper().startswith("MAIL FROM")]
    c.check("utf8: SMTPUTF8 on exactly one MAIL FROM",
            len(mails) == 3 and
            len([m for m in mails if m.upper().endswith(" SMTPUTF8")]) == 1,
            mails)
except Fail as e:
    c.check("no error", False, e)
c.finish()
