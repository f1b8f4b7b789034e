#!/usr/bin/python3
"""msg_verify.py MAILCAST -- messages built by `mailcast preview`, checked by
independent implementations: every message is parsed with GMime 3 (structure,
decoded text, decoded headers) and its DKIM signatures (rsa-sha256 and
ed25519-sha256) are verified with python3-dkim, whose DNS lookup is replaced
by a function that returns the TXT records `mailcast dkim keygen` printed.
Hostile merge values (CR, LF, boundary strings, 100,000 characters) must not
add a header or a part.  Exit 0 when all hold; the first failure says what."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import dkim
import gi

gi.require_version("GMime", "3.0")
from gi.repository import GMime  # noqa: E402

MC = os.path.abspath(sys.argv[1])
TMP = tempfile.mkdtemp(prefix="mc_msg_verify.")
DNS = {}
FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL:", what)


def run(args, ok=True):
    p = subprocess.run([MC] + args, cwd=TMP, capture_output=True, timeout=60)
    if ok and p.returncode != 0:
        sys.exit("mailcast %s: exit %d: %s" % (" ".join(args[:2]), p.returncode,
                                                p.stderr.decode(errors="replace")))
    return p


def keygen(sel, typ):
    p = run(["dkim", "keygen", "--domain", "example.org", "--selector", sel,
             "--type", typ, "--out", sel + ".pem"])
    out = p.stdout.decode()
    value = "".join(re.findall(r'"([^"]*)"', out))
    check(out.startswith(sel + "._domainkey.example.org. IN TXT"), "keygen output " + out[:60])
    DNS[(sel + "._domainkey.example.org.").encode()] = value.encode()
    mode = os.stat(os.path.join(TMP, sel + ".pem")).st_mode & 0o777
    check(mode == 0o600, "key file mode %o" % mode)


def dnsfunc(name, timeout=5):
    return DNS.get(name if name.endswith(b".") else name + b".")


def gmime_parse(data):
    stream = GMime.StreamMem.new_with_buffer(data)
    parser = GMime.Parser.new_with_stream(stream)
    return parser.construct_message(None)


def structure(obj):
    """('multipart/alternative', [('text/plain', text), ...]) or (type, text)."""
    ct = obj.get_content_type()
    mime = "%s/%s" % (ct.get_media_type(), ct.get_media_subtype())
    if isinstance(obj, GMime.Multipart):
        return (mime, [structure(obj.get_part(i)) for i in range(obj.get_count())])
    if isinstance(obj, GMime.TextPart):
        return (mime, obj.get_text())
    # attachment: decoded bytes
    mem = GMime.StreamMem.new()
    obj.get_content().write_to_stream(mem)
    return (mime, bytes(mem.get_byte_array()), obj.get_filename())


def header_names(data):
    head = data.split(b"\r\n\r\n", 1)[0].decode("utf-8")
    return [l.split(":", 1)[0] for l in head.split("\r\n") if l and l[0] not in " \t"]


def verify_dkim(data, nsig):
    d = dkim.DKIM(data)
    for i in range(nsig):
        ok = d.verify(idx=i, dnsfunc=dnsfunc)
        check(ok, "python3-dkim signature %d: %s" % (i, d.signature_fields.get(b"a") if hasattr(d, "signature_fields") else ""))


def wire_checks(data, name):
    check(b"\n" not in data.replace(b"\r\n", b""), name + ": bare LF")
    check(b"\r" not in data.replace(b"\r\n", b""), name + ": bare CR")
    longest = max(len(l) for l in data.split(b"\r\n"))
    check(longest <= 998, name + ": line of %d octets" % longest)
    head = data.split(b"\r\n\r\n", 1)[0]
    for l in head.split(b"\r\n"):
        # Over 78 only where there is no place to fold: one long token.
        check(len(l) <= 78 or b" " not in l.strip().split(b" ", 1)[-1],
              name + ": header line over 78: %r" % l[:90])


def preview(args, name, nsig=2):
    sign = ["--dkim-key", "rsa1.pem", "--dkim-selector", "rsa1",
            "--dkim-key", "ed1.pem", "--dkim-selector", "ed1"][: 4 * nsig]
    p = run(["preview", "--token-key", "token.key", "--date", "1700000000"] + sign + args)
    data = p.stdout
    with open(os.path.join(TMP, name + ".eml"), "wb") as f:
        f.write(data)
    wire_checks(data, name)
    if nsig:
        verify_dkim(data, nsig)
    return data, gmime_parse(data)


def write(name, text, mode="w"):
    with open(os.path.join(TMP, name), mode) as f:
        f.write(text)


def main():
    GMime.init()
    keygen("rsa1", "rsa")
    keygen("ed1", "ed25519")
    write("token.key", os.urandom(32).hex() + "\n")
    write("Prijslijst März 2024 — een heel lange bestandsnaam voor de test.pdf",
          bytes(range(256)) * 20, "wb")

    # 1. Non-ASCII headers, long lines, folded unsubscribe headers, HTML,
    #    an attachment with a non-ASCII name.
    write("full.tmpl", """From: Exämple Nieuwsbrief <news@example.org>
Subject: {{first_name|Hallo}}, het nieuws van {{campaign}} — ünïcödé in een lange onderwerpregel die gevouwen moet worden
To: {{first_name}} {{last_name}} <{{email}}>
Feedback-ID: {{campaign}}:news:example
Attach: Prijslijst März 2024 — een heel lange bestandsnaam voor de test.pdf

Beste {{first_name|lezer}},

""" + "Een hele lange regel zonder einde " * 40 + """
Grüße, Ölfässer.
Uitschrijven: {{unsubscribe_url}}
%% html
<p>Beste {{first_name|lezer}} {{last_name}},</p>
<p>""" + "lang " * 300 + """</p>
<a href="{{unsubscribe_url}}">uitschrijven</a>
""")
    long_url = "https://news.example.org/" + "a" * 60 + "/unsubscribe/"
    data, msg = preview(["--template", "full.tmpl", "--set", "email=jö@example.org",
                         "--set", "first_name=Zoë", "--set", "last_name=O'Brien & <Co>",
                         "--campaign", "Maart", "--unsubscribe-url", long_url], "full")
    check(msg.get_subject().startswith("Zoë, het nieuws van Maart — ünïcödé in een lange"),
          "full: subject decoded: %r" % msg.get_subject())
    frm = msg.get_from().get_address(0)
    check(frm.get_name() == "Exämple Nieuwsbrief" and frm.get_addr() == "news@example.org",
          "full: From %r %r" % (frm.get_name(), frm.get_addr()))
    to = msg.get_to().get_address(0)
    check(to.get_addr() == "jö@example.org" and to.get_name() == "Zoë O'Brien & <Co>",
          "full: To %r %r" % (to.get_name(), to.get_addr()))
    s = structure(msg.get_mime_part())
    check(s[0] == "multipart/mixed" and len(s[1]) == 2, "full: mixed with 2 parts: %r" % (s[0],))
    alt = s[1][0]
    check(alt[0] == "multipart/alternative" and [p[0] for p in alt[1]] == ["text/plain", "text/html"],
          "full: alternative text+html")
    text = alt[1][0][1]
    check(("Een hele lange regel zonder einde " * 40).rstrip() in text, "full: long line decoded")
    check("Beste Zoë,\r\n" in text.replace("\r\n", "\n").replace("\n", "\r\n"), "full: text merge")
    check("Grüße, Ölfässer." in text, "full: text UTF-8")
    html = alt[1][1][1]
    check("Beste Zoë O&#39;Brien &amp; &lt;Co&gt;," in html, "full: HTML escaping: %r" % html[:80])
    unsub = msg.get_header("List-Unsubscribe")
    check(re.fullmatch(r"\s*<" + re.escape(long_url) + r"[a-z2-7]+>,\s*<mailto:unsubscribe@example.org\?subject=unsubscribe%20[a-z2-7]+>\s*", unsub) is not None,
          "full: List-Unsubscribe %r" % unsub)
    check(msg.get_header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click", "full: one-click")
    att = s[1][1]
    check(att[0] == "application/pdf" and att[1] == bytes(range(256)) * 20, "full: attachment bytes")
    check(att[2] == "Prijslijst März 2024 — een heel lange bestandsnaam voor de test.pdf",
          "full: RFC 2231 file name %r" % (att[2],))
    check(b"Return-Path" not in data, "full: no Return-Path")

    # 2. Text only, ASCII, each algorithm alone.
    write("plain.tmpl", "From: news@example.org\nSubject: Plain {{x|y}}\n\nHello {{email}}\n")
    for nsig in (1, 2):
        data, msg = preview(["--template", "plain.tmpl", "--set", "email=a@example.org"], "plain%d" % nsig, nsig)
        s = structure(msg.get_mime_part())
        check(s == ("text/plain", "Hello a@example.org\r\n") or s == ("text/plain", "Hello a@example.org\n"),
              "plain: %r" % (s,))
    # Ed25519 alone.
    p = run(["preview", "--token-key", "token.key", "--template", "plain.tmpl",
             "--set", "email=a@example.org", "--dkim-key", "ed1.pem", "--dkim-selector", "ed1"])
    check(b"a=ed25519-sha256" in p.stdout, "ed25519 alone")
    verify_dkim(p.stdout, 1)

    # 3. Hostile values: CR, LF, a boundary string, 100,000 characters.
    bound_alt = re.search(rb'boundary="([^"]+)"', data)  # from the plain message: none
    evil_hdr = "Jo\r\nBcc: victim@example.net\r\nX-Evil: 1"
    big = "x" * 100000
    data, msg = preview(["--template", "full.tmpl", "--set", "email=jo@example.org",
                         "--set", "first_name=" + evil_hdr,
                         "--set", "last_name=\r\n--=_mc_alt_0000000000000000--\r\n\r\n--=_mc_mix_0--\r\n" + big,
                         "--campaign", "C"], "hostile")
    names = header_names(data)
    check(sorted(names) == sorted(["DKIM-Signature", "DKIM-Signature", "From", "To", "Subject", "Date",
                                   "Message-ID", "MIME-Version", "List-Unsubscribe",
                                   "List-Unsubscribe-Post", "List-Id", "Feedback-ID", "Content-Type"]),
          "hostile: header set %r" % names)
    check(msg.get_header("Bcc") is None and msg.get_header("X-Evil") is None and msg.get_header("X-Injected") is None,
          "hostile: injected headers")
    s = structure(msg.get_mime_part())
    check(s[0] == "multipart/mixed" and len(s[1]) == 2 and len(s[1][0][1]) == 2, "hostile: structure %r" % (s[0],))
    html = s[1][0][1][1][1]
    check(big in html and "--=_mc_alt_0000000000000000--" in html, "hostile: values intact in HTML")
    check(msg.get_subject().startswith("Jo  Bcc: victim@example.net  X-Evil: 1, het nieuws van C "),
          "hostile: subject %r" % msg.get_subject()[:100])

    p = run(["preview", "--template", "plain.tmpl", "--set", "email=a@example.org",
             "--campaign", "C\r\nX-Injected: yes"], ok=False)
    check(p.returncode == 65 and p.stdout == b"" and b"campaign name" in p.stderr,
          "campaign name with CR LF: exit %d %r" % (p.returncode, p.stderr))

    # 4. A CSV row.
    write("list.csv", "email,first_name,last_name\nan@example.org,An,One\nbo@example.org,\"Bo, \"\"B\"\"\",Two\n")
    data, msg = preview(["--template", "full.tmpl", "--csv", "list.csv", "--row", "2"], "csv")
    to = msg.get_to().get_address(0)
    check(to.get_addr() == "bo@example.org" and to.get_name() == 'Bo, "B" Two', "csv: To %r" % to.get_name())

    # 5. Errors name the field and the line; nothing is printed.
    write("bad.tmpl", "From: news@example.org\nSubject: Hi\n\nline 4\nHello {{frist_name}}\n")
    p = run(["preview", "--template", "bad.tmpl", "--set", "email=a@example.org",
             "--set", "first_name=A"], ok=False)
    check(p.returncode == 65 and p.stdout == b"", "bad template: exit %d, %d bytes out" % (p.returncode, len(p.stdout)))
    check(b"bad.tmpl:5: unknown field 'frist_name'" in p.stderr, "bad template: %r" % p.stderr)

    # 6. A tampered body fails verification (the check can fail).
    data = open(os.path.join(TMP, "plain2.eml"), "rb").read().replace(b"Hello", b"Hallo")
    try:
        ok = dkim.DKIM(data).verify(idx=0, dnsfunc=dnsfunc)
    except dkim.ValidationError:
        ok = False
    check(not ok, "tampered message verified")

    if FAILS:
        print("%d failures; messages kept in %s" % (len(FAILS), TMP))
        return 1
    print("all message checks passed")
    shutil.rmtree(TMP)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        if FAILS == [] and os.path.isdir(TMP):
            shutil.rmtree(TMP, ignore_errors=True)
