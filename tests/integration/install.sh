#!/bin/bash
# install.sh BUILD_DIR SOURCE_DIR — libmailcast as a user gets it: install
# the build into a fresh prefix, find the library with pkg-config alone,
# compile examples/send_campaign.c against the *installed* library (shared,
# and static with `pkg-config --static`), run it against `mailcast sink` on
# a free loopback port, and check with python3's email parser that the
# personalised messages arrived; render both man pages; check that the
# shared library exports the functions of mailcast.h and nothing else, and
# that the installed tool finds its data under the prefix.
set -u
BUILD=$1
SRC=$2
# shellcheck source=../helpers/lib.sh
. "$SRC/tests/helpers/lib.sh"

P=$T/prefix
run "cmake --install into a fresh prefix" 0 cmake --install "$BUILD" --prefix "$P"
PC=$(find "$P" -name mailcast.pc | head -1)
ok "mailcast.pc installed" test -n "$PC"
LIBDIR=$(dirname "$(dirname "$PC")")
for f in bin/mailcast include/mailcast.h share/man/man1/mailcast.1 \
    share/man/man5/mailcast.conf.5 share/mailcast/demo-contacts.csv \
    share/mailcast/demo-template.txt; do
	ok "installed $f" test -f "$P/$f"
done
for f in libmailcast.a libmailcast.so; do
	ok "installed lib/$f" test -e "$LIBDIR/$f"
done
SONAME=$(readelf -d "$LIBDIR/libmailcast.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
ok "SONAME libmailcast.so.N ($SONAME), a link to the versioned file" \
    bash -c "[[ '$SONAME' =~ ^libmailcast\.so\.[0-9]+$ ]] && test -L '$LIBDIR/$SONAME'"

# pkg-config, from the prefix only
export PKG_CONFIG_PATH=$LIBDIR/pkgconfig
run "pkg-config --cflags --libs mailcast" 0 pkg-config --cflags --libs mailcast
has "pkg-config names -lmailcast" "-lmailcast"
CFLAGS_MC=$(pkg-config --cflags mailcast)
LIBS_MC=$(pkg-config --libs mailcast)
ok "pkg-config's include folder holds mailcast.h" bash -c \
    "for f in $CFLAGS_MC; do case \$f in -I*) test -f \${f#-I}/mailcast.h && exit 0;; esac; done; exit 1"
ok "pkg-config's library folder is the prefix's" bash -c \
    "for f in $LIBS_MC; do case \$f in -L*) test \"\$(realpath \${f#-L})\" = \"\$(realpath $LIBDIR)\" && exit 0;; esac; done; exit 1"

# the example against the installed shared library
EX=$T/send_campaign
# shellcheck disable=SC2086
run "the example compiles against the installed library" 0 \
    cc -Wall -Wextra -Werror -o "$EX" "$SRC/examples/send_campaign.c" $CFLAGS_MC $LIBS_MC
export LD_LIBRARY_PATH=$LIBDIR
run "the example loads the installed libmailcast.so" 0 ldd "$EX"
has "ldd: libmailcast from the prefix" "$LIBDIR/$SONAME"
# and against the static one, with the libraries of Requires.private (as
# shared ones: Debian ships no static libpq closure) and Libs.private
EXS=$T/send_campaign_static
REQ=$(pkg-config --print-requires-private mailcast | awk '{print $1}')
# shellcheck disable=SC2086
LIBS_STATIC="$(sed 's/-lmailcast//' <<<"$LIBS_MC") $(pkg-config --libs $REQ)
    $(sed -n 's/^Libs.private: //p' "$PC")"
# shellcheck disable=SC2086
run "the example links libmailcast.a with Requires/Libs.private" 0 \
    cc -Wall -Wextra -Werror -o "$EXS" "$SRC/examples/send_campaign.c" $CFLAGS_MC \
    "$LIBDIR/libmailcast.a" $LIBS_STATIC
run "the static example needs no libmailcast.so" 0 ldd "$EXS"
lacks "ldd of the static example" "libmailcast"

# mailcast sink on free ports below 32768
read -r PORT PORT2 < <(python3 -c '
import socket, os
free = []
for p in range(20000 + os.getpid() % 9000, 32000):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); free.append(p)
    except OSError: pass
    finally: s.close()
    if len(free) == 2: break
print(*free)')
MD=$T/maildir
"$P/bin/mailcast" sink --listen "127.0.0.1:$PORT" --maildir "$MD" --quiet \
    >"$T/sink.log" 2>&1 &
SINK=$!
on_exit "kill $SINK"
ok "sink listens on 127.0.0.1:$PORT" wait_port "$PORT"

run "the example delivers through the sink" 0 "$EX" 127.0.0.1 "$PORT"
for a in ada@example.org brian@example.net chloe@example.com; do
	has "a result line for $a" "$a"
done
NSENT=$(grep -cE ' sent +250 ' <<<"$OUT")
ok "three results 'sent 250' ($NSENT)" test "$NSENT" -eq 3
has "the report counts" "sent 3, failed 0, deferred 0"
run "the static example delivers too" 0 "$EXS" 127.0.0.1 "$PORT"

# a refusal reaches the caller with its code, enhanced code and text
MD2=$T/maildir2
"$P/bin/mailcast" sink --listen "127.0.0.1:$PORT2" --maildir "$MD2" --quiet \
    --fault 'rcpt:brian@*=550 5.1.1 no such user here' >"$T/sink2.log" 2>&1 &
SINK2=$!
on_exit "kill $SINK2"
ok "second sink listens on 127.0.0.1:$PORT2" wait_port "$PORT2"
run "the example exits 1 when a recipient is refused" 1 "$EX" 127.0.0.1 "$PORT2"
ok "brian's result: failed 550 5.1.1 and the server's text" \
    grep -qE '^brian@example.net +failed +550 5.1.1 +no such user here$' <<<"$OUT"
has "the report counts the refusal" "sent 2, failed 1, deferred 0"

# what arrived, parsed by an independent parser
run "six personalised messages in the Maildir" 0 python3 - "$MD" <<'EOF'
import email, email.policy, os, sys
from collections import Counter
md = os.path.join(sys.argv[1], "new")
want = {"ada@example.org": "Ada", "brian@example.net": "Brian",
        "chloe@example.com": "Chloé"}
seen = Counter()
for name in sorted(os.listdir(md)):
    with open(os.path.join(md, name), "rb") as f:
        m = email.message_from_binary_file(f, policy=email.policy.default)
    rcpt = m["X-Mailcast-Rcpt"].strip("<>")
    first = want[rcpt]
    assert str(m["To"]) == rcpt, (rcpt, m["To"])
    assert str(m["Subject"]) == "Hello " + first, m["Subject"]
    body = m.get_body(("plain",)).get_content()
    assert body.startswith("Dear %s,\n" % first), body
    assert "built on libmailcast" in body, body
    seen[rcpt] += 1
assert seen == Counter({a: 2 for a in want}), seen
print("ok", dict(seen))
EOF

# the man pages render, without warnings
for page in man1/mailcast.1 man5/mailcast.conf.5; do
	run "man -l $page" 0 env MANWIDTH=80 man -l "$P/share/man/$page"
	case $page in
	*.1) has "mailcast(1): NAME" "mailcast - send a personalised message"
	     has "mailcast(1): the sink command" "mailcast sink [--listen ADDR:PORT]"
	     has "mailcast(1): EXIT STATUS" "EX_TEMPFAIL" ;;
	*.5) has "mailcast.conf(5): a [relay NAME] key" "auth_password_file"
	     has "mailcast.conf(5): precedence" "command-line flags" ;;
	esac
	WARN=$(MANWIDTH=80 man --warnings -l "$P/share/man/$page" 2>&1 >/dev/null)
	ok "man --warnings $page: none" test -z "$WARN"
done

# the shared library's exports: the header's functions, nothing else
EXPORTS=$(nm -D --defined-only "$LIBDIR/libmailcast.so" |
    awk '$2 ~ /^[TtWDdBbVvRi]$/ { sub(/@.*/, "", $3); print $3 }' | sort -u)
HEADER=$(sed -e '/^typedef/d' -n -e 's/^[a-z].*[ *]\(mc_[a-z_]*\)(.*/\1/p' \
    "$P/include/mailcast.h" | sort -u)
ok "every exported symbol starts with mc_" bash -c "! grep -v '^mc_' <<<'$EXPORTS'"
ok "exports == the functions of mailcast.h" test "$EXPORTS" = "$HEADER"
[ "$EXPORTS" = "$HEADER" ] || diff <(echo "$EXPORTS") <(echo "$HEADER")

# the installed tool finds its data under the prefix, not the source tree
run "installed mailcast demo --help" 0 "$P/bin/mailcast" demo --help
has "demo's data folder is the prefix's" "$(realpath "$P")/share/mailcast"
OUT=$(TMPDIR=$T MAILCAST_DATADIR=/nonexistent/data "$P/bin/mailcast" demo 2>&1)
has "MAILCAST_DATADIR overrides it" "/nonexistent/data/demo-contacts.csv"

finish
