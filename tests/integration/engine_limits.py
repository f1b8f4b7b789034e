#!/usr/bin/python3
"""engine_limits.py MAILCAST — the limits, measured by the server: a
recording SMTP server notes when each message ended and the most
connections open at once.  --rate 200 must measure 200/s within 5 %;
--conns 3 must never be exceeded (and be reached).  Ports 26400-26401.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from engine_lib import Case, Fail, Recorder  # noqa: E402

c = Case(sys.argv[1])
try:
    tpl = c.make_list(["u%d@l.example" % i for i in range(1000)])
    rec = Recorder(26400)
    c.mailcast("broadcast", "--name", "rate", "--list", "l", "--template",
               tpl, "--from", "news@news.example", "--relay",
               "127.0.0.1:26400", "--tls", "none", "--rate", "200",
               "--quiet", timeout=120)
    t = rec.times
    rate = (len(t) - 1) / (t[-1] - t[0]) if len(t) > 1 else 0
    c.check("1000 messages arrived", len(t) == 1000, len(t))
    c.check("--rate 200 measures %.1f/s at the server (within 5 %%)" % rate,
            190 <= rate <= 210)
    rec.close()
    rec = Recorder(26401)
    c.mailcast("broadcast", "--name", "conns", "--list", "l", "--template",
               tpl, "--from", "news@news.example", "--relay",
               "127.0.0.1:26401", "--tls", "none", "--conns", "3",
               "--pipeline", "1", "--quiet", timeout=120)
    c.check("1000 messages arrived", len(rec.times) == 1000, len(rec.times))
    c.check("--conns 3: at most 3 connections open (saw %d)" % rec.max_open,
            rec.max_open <= 3)
    c.check("--conns 3 is reached", rec.max_open == 3, rec.max_open)
    rec.close()
except (Fail, subprocess.SubprocessError) as e:
    c.check("setup", False, e)
finally:
    c.cleanup()
c.finish()
