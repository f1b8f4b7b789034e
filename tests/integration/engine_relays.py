#!/usr/bin/python3
"""engine_relays.py MAILCAST — relays from mailcast.conf, checked at the
servers: two recording SMTP servers as relays of weights 3:1 get a
400-recipient campaign over 200 domains split about 3:1, each relay's
own connection cap (2 and 1) and rate (50/s) hold; with the heavy relay
down every message goes to the other; a `password` key is refused with
file and line; a missing --config file is named; --relay and
MAILCAST_RELAY override the file's relays; `store` and `from` come from
the file; a relay's own TLS mode, CA and AUTH (aiosmtpd wanting STARTTLS
and AUTH) next to a plain relay; a connection budget (--total-conns 2)
over two relays of 2 connections each holds across both, is reached, and
is kept with the campaign.  Ports 26450-26455.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from engine_lib import Case, Fail, Group, Recorder, wait_port  # noqa: E402

BIG, SMALL, DOWN, SECURE, BUDGET1, BUDGET2 = range(26450, 26456)

c = Case(os.path.abspath(sys.argv[1]))


def conf(name, text):
    path = os.path.join(c.dir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def run(*args, env=None):
    e = dict(os.environ)
    e.pop("MAILCAST_CONFIG", None)
    e.pop("MAILCAST_RELAY", None)
    e.update(env or {})
    return subprocess.run([c.mc] + list(args), capture_output=True,
                          text=True, timeout=300, env=e, cwd=c.dir)


def broadcast(cfg, name, *extra, env=None):
    p = run("--config", cfg, "broadcast", "--name", name, "--list", "l",
            "--template", tpl, "--quiet", *extra, env=env)
    if p.returncode != 0:
        raise Fail("broadcast %s: exit %d\n%s%s" % (name, p.returncode,
                                                   p.stdout, p.stderr))
    return p


try:
    addrs = ["u%d@d%d.example" % (i, i % 200) for i in range(400)]
    tpl = c.make_list(addrs)
    big, small = Recorder(BIG), Recorder(SMALL)
    main = """[mailcast]
store = %s
from = news@news.example
tls = none
conns = 4
pipeline = 1

[relay big]
host = 127.0.0.1:%d
weight = 3
conns = 2

[relay small]
host = 127.0.0.1:%d
weight = 1
conns = 1
rate = 50
""" % (c.store, BIG, SMALL)
    cfg = conf("mailcast.conf", main)

    # 1. weights 3:1, per-relay limits
    p = broadcast(cfg, "weighted")
    nb, ns = len(big.times), len(small.times)
    c.check("every message arrived once (%d + %d)" % (nb, ns),
            nb + ns == 400)
    c.check("weights 3:1 split %d:%d (big within 260-340)" % (nb, ns),
            260 <= nb <= 340)
    c.check("report lists both relays as destinations",
            "127.0.0.1 127.0.0.1:%d" % BIG in p.stdout and
            "127.0.0.1 127.0.0.1:%d" % SMALL in p.stdout, p.stdout)
    c.check("[relay big] conns = 2 holds and is reached (saw %d; the "
            "global conns = 4)" % big.max_open, big.max_open == 2)
    c.check("[relay small] conns = 1 holds (saw %d)" % small.max_open,
            small.max_open == 1)
    t = small.times
    rate = (len(t) - 1) / (t[-1] - t[0]) if len(t) > 1 else 0
    c.check("[relay small] rate = 50 measures %.1f/s" % rate,
            42 <= rate <= 58)
    st = run("--config", cfg, "--json", "campaign", "status", "weighted")
    c.check("`store` from mailcast.conf: status finds the campaign, all "
            "sent", st.returncode == 0 and '"sent": 400' in st.stdout,
            st.stdout + st.stderr)

    # 2. the heavy relay down: its domains fail over to the other
    down = conf("down.conf", main.replace("127.0.0.1:%d" % BIG,
                                          "127.0.0.1:%d" % DOWN))
    before = len(small.times)
    broadcast(down, "failover", "--backoff-max", "500", "--linger", "5")
    got = len(small.times) - before
    c.check("relay big down: all 400 went to small (got %d)" % got,
            got == 400)
    st = run("--config", down, "--json", "campaign", "status", "failover")
    c.check("failover campaign: all sent", '"sent": 400' in st.stdout,
            st.stdout + st.stderr)

    # 3. flags and MAILCAST_RELAY over the file
    nb, ns = len(big.times), len(small.times)
    broadcast(cfg, "flag", "--relay", "127.0.0.1:%d" % SMALL)
    c.check("--relay replaces the file's relays (big +%d, small +%d)" % (
        len(big.times) - nb, len(small.times) - ns),
        len(big.times) == nb and len(small.times) - ns == 400)
    nb, ns = len(big.times), len(small.times)
    broadcast(cfg, "env", env={"MAILCAST_RELAY": "127.0.0.1:%d" % BIG})
    c.check("MAILCAST_RELAY replaces the file's relays (big +%d, small "
            "+%d)" % (len(big.times) - nb, len(small.times) - ns),
            len(small.times) == ns and len(big.times) - nb == 400)
    nb, ns = len(big.times), len(small.times)
    broadcast(cfg, "both", "--relay", "127.0.0.1:%d" % SMALL,
              env={"MAILCAST_RELAY": "127.0.0.1:%d" % BIG})
    c.check("--relay beats MAILCAST_RELAY",
            len(big.times) == nb and len(small.times) - ns == 400)
    p = run("--config", cfg, "--store", "sqlite:" +
            os.path.join(c.dir, "other.db"), "campaign", "status",
            "weighted")
    c.check("--store beats the file's store (exit 66, not found)",
            p.returncode == 66, p.stdout + p.stderr)

    # 3b. a connection budget over both relays: 2 + 2 allowed by the
    # relays' caps, 2 at once by --total-conns; counted by the servers
    grp = Group()
    r1, r2 = Recorder(BUDGET1, grp), Recorder(BUDGET2, grp)
    bud = conf("budget.conf", """[mailcast]
store = %s
from = news@news.example
tls = none
pipeline = 1

[relay one]
host = 127.0.0.1:%d
conns = 2

[relay two]
host = 127.0.0.1:%d
conns = 2
""" % (c.store, BUDGET1, BUDGET2))
    broadcast(bud, "budget", "--total-conns", "2")
    c.check("--total-conns 2: every message arrived once (%d + %d)" % (
        len(r1.times), len(r2.times)), len(r1.times) + len(r2.times) == 400
            and r1.times and r2.times)
    c.check("--total-conns 2 holds over both relays (saw %d at once; "
            "each relay alone allows 2)" % grp.max_open, grp.max_open <= 2)
    c.check("--total-conns 2 is reached", grp.max_open == 2, grp.max_open)
    st = run("--config", bud, "--json", "campaign", "show", "budget")
    c.check("the budget is kept with the campaign",
            '"total_conns": 2' in st.stdout, st.stdout + st.stderr)
    r1.close()
    r2.close()

    # 4. per-relay TLS and AUTH: the global settings say no TLS; the
    # [relay secure] section asks STARTTLS with its CA and AUTH as alice
    helpers = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "..", "helpers")
    certs = os.path.join(c.dir, "certs")
    subprocess.run([os.path.join(helpers, "certs.sh"), certs], check=True,
                   capture_output=True)
    out = os.path.join(c.dir, "out")
    srv = subprocess.Popen(
        ["/usr/bin/python3", os.path.join(helpers, "aiosmtpd_server.py"),
         "--port", str(SECURE), "--cert", os.path.join(certs, "cert.pem"),
         "--key", os.path.join(certs, "key.pem"), "--outdir", out,
         "--user", "alice:secret"], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    c.procs.append(srv)
    wait_port(SECURE)
    pw = conf("pw", "secret\n")
    sec = conf("secure.conf", """[mailcast]
store = %s
from = news@news.example
tls = none

[relay secure]
host = 127.0.0.1:%d
tls = require
ca_file = %s
auth_user = alice
auth_password_file = %s

[relay plain]
host = 127.0.0.1:%d
""" % (c.store, SECURE, os.path.join(certs, "cert.pem"), pw, SMALL))
    ns = len(small.times)
    broadcast(sec, "secure")
    emls = [os.path.join(out, f) for f in os.listdir(out)] \
        if os.path.isdir(out) else []
    heads = []
    for f in emls:
        with open(f, errors="replace") as fh:
            heads.append(fh.readline())
    got = len(small.times) - ns
    c.check("both relays got mail (secure %d, plain %d)" % (len(emls), got),
            len(emls) > 0 and got > 0 and len(emls) + got == 400)
    c.check("every message to [relay secure] over TLS as alice",
            all("tls=True auth=alice" in h for h in heads), heads[:3])
    settings = subprocess.run(
        ["sqlite3", c.store[len("sqlite:"):],
         "SELECT detail FROM events WHERE kind = 'settings'"],
        capture_output=True, text=True).stdout
    c.check("the relay settings are kept with the campaign, the password "
            "is not", '"auth_user":"alice"' in settings and
            "secret" not in settings.replace("auth_password_file", ""),
            settings[-400:])

    # 5. refusals
    bad = conf("bad.conf", "[mailcast]\nrate = 5\n\n[relay a]\n"
               "host = 127.0.0.1:1\nauth_user = u\npassword = secret\n")
    p = run("--config", bad, "campaign", "status", "1")
    c.check("a password key is refused (exit 78)", p.returncode == 78,
            p.returncode)
    c.check("... naming file and line", "%s:7: 'password'" % bad in
            p.stderr and "auth_password_file" in p.stderr, p.stderr)
    c.check("... and never echoing the secret", "secret" not in p.stderr,
            p.stderr)
    p = run("--config", os.path.join(c.dir, "nope.conf"), "campaign",
            "status", "1")
    c.check("a missing --config file is named (exit 78)",
            p.returncode == 78 and "nope.conf: no such configuration "
            "file" in p.stderr, p.stderr)
    p = run("campaign", "status", "1", env={"MAILCAST_CONFIG": bad})
    c.check("MAILCAST_CONFIG is read", p.returncode == 78 and bad in
            p.stderr, p.stderr)
    big.close()
    small.close()
except (Fail, subprocess.SubprocessError) as e:
    c.check("setup", False, e)
finally:
    c.cleanup()
c.finish()
