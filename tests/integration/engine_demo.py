#!/usr/bin/python3
"""engine_demo.py MAILCAST — `mailcast demo` with no configuration: it ends
with the report (980 sent, 20 failed with 550 5.1.1: the bundled list's
reject-* addresses; defer-* greylisted first, then delivered) and the
Maildir it names holds 980 messages."""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from engine_lib import Case  # noqa: E402

c = Case(sys.argv[1])
tmp = tempfile.mkdtemp(prefix="mc-demo.")
doc = os.path.join(os.path.dirname(__file__), "../../docs/usage/demo.txt")
with open(doc) as f:
    usage = f.read()  # ends at "(default ": the data folder follows
try:
    p = subprocess.run([c.mc, "demo", "--help"], capture_output=True,
                       text=True, timeout=30)
    c.check("demo --help: exit 0, the usage and the data folder",
            p.returncode == 0 and p.stdout.startswith(usage)
            and re.fullmatch(r"/\S+\)\n", p.stdout[len(usage):]),
            p.stdout)
    p = subprocess.run([c.mc, "demo", "--bogus"], capture_output=True,
                       text=True, timeout=30)
    c.check("demo --bogus: exit 64, the usage on stderr",
            p.returncode == 64 and p.stdout == ""
            and "usage: mailcast demo [--quiet]" in p.stderr, p.stderr)
    env = dict(os.environ, TMPDIR=tmp)
    env.pop("MAILCAST_STORE", None)
    p = subprocess.run([c.mc, "demo"], capture_output=True, text=True,
                       timeout=120, env=env, cwd=tmp)
    out = p.stdout + p.stderr
    c.check("demo exits 0", p.returncode == 0, out)
    c.check("imports 1000 contacts", "imported 1000 contacts" in out, out)
    c.check("report: 980 sent", re.search(r"sent\s+980\n", out), out)
    c.check("report: 20 failed", re.search(r"failed\s+20\n", out), out)
    c.check("report: the 550 5.1.1 replies", "550 5.1.1" in out, out)
    st = re.search(r"the store: (\S+)", out)
    who = subprocess.run([c.mc, "--store", st.group(1) if st else "-",
                          "campaign", "who", "1", "--csv"],
                         capture_output=True, text=True, timeout=60).stdout
    grey = [ln for ln in who.splitlines() if ln.startswith("defer-")]
    c.check("greylisted defer-* delivered on a later attempt",
            len(grey) == 20 and all(re.search(",sent,[2-9],250,", ln) for ln in grey),
            grey[:3])
    m = re.search(r"delivered to the sink's Maildir:\n  (\S+)", out)
    c.check("says where the messages are", m is not None, out)
    if m:
        n = len(os.listdir(m.group(1)))
        c.check("the Maildir holds 980 messages", n == 980, n)
except subprocess.SubprocessError as e:
    c.check("demo ran", False, e)
finally:
    subprocess.run(["rm", "-rf", tmp])
    c.cleanup()
c.finish()
