#!/bin/bash
# files_store.sh MAILCAST — where the store lives and how it is opened
# (issue 11 item 9, issue 12 item 10), through the CLI:
#  - the default store is $XDG_DATA_HOME/mailcast/mailcast.db, else
#    ~/.local/share/mailcast/mailcast.db (folder made 0700, file 0600),
#    never ./mailcast.db; one precedence: --store > $MAILCAST_STORE >
#    mailcast.conf's store = > the default;
#  - a reading command never creates a store: a missing one is exit 66
#    "no store at PATH (create one with `mailcast list import` ...)", and
#    a writing command that needs data (campaign start) does not make one;
#  - "not found" errors name the store;
#  - a read-only store (a 0444 file; a read-only folder, with and without
#    a -wal/-shm left by a writer that was killed) serves every reading
#    command, and a writing command fails with exit 73 naming the store,
#    the file unchanged.
# As root, the read-only folder cases run as nobody (root writes anyway).
. "$(dirname "$0")/../helpers/lib.sh"
MC=$(realpath "$1")
export HOME=$T/home
unset XDG_DATA_HOME MAILCAST_STORE MAILCAST_CONFIG
mkdir -p "$HOME" "$T/cwd"
cd "$T/cwd" || exit 1
DEF=$HOME/.local/share/mailcast/mailcast.db
HINT='(create one with `mailcast list import'

printf 'email,name\nann@example.com,Ann\nbob@example.com,Bob\n' >"$T/l.csv"
printf 'From: News <news@news.example>\nSubject: Hi {{name}}\n\nHello {{name}}\n' \
	>"$T/t.tmpl"

# --- item 3: reading commands never create a store ---
for cmd in "list count" "list show" "list export --list l" \
	"suppress check ann@example.com" "suppress list" "campaign status 1" \
	"campaign report 1" "campaign who 1" "token list" "token verify abc"; do
	# shellcheck disable=SC2086
	run "no default store: $cmd is 66" 66 "$MC" $cmd
	has "$cmd names the default store and how to make one" \
		"mailcast: $(echo "$cmd" | cut -d' ' -f1-2): no store at $DEF $HINT"
done
run "a mistyped --store: list count is 66" 66 "$MC" --store "sqlite:$T/typo.db" \
	list count
has "it names the mistyped store" "mailcast: list count: no store at $T/typo.db $HINT"
run "campaign start on a missing store is 66" 66 "$MC" \
	--store "sqlite:$T/typo.db" campaign start 1
has "it names the store" "no store at $T/typo.db"
ok "no store was made by any of them" test ! -e "$T/typo.db" -a ! -e "$DEF" \
	-a ! -e "$HOME/.local"
ok "nothing in the current folder" test -z "$(ls -A "$T/cwd")"

# --- item 4: the default store, its folder 0700 ---
run "list import makes the default store" 0 "$MC" list import "$T/l.csv" --list l
ok "the store is at ~/.local/share/mailcast/mailcast.db" test -f "$DEF"
ok "its folder is 0700" test "$(stat -c %a "$(dirname "$DEF")")" = 700
ok "the store is 0600" test "$(stat -c %a "$DEF")" = 600
ok "no ./mailcast.db" test ! -e "$T/cwd/mailcast.db"
run "list count reads it" 0 "$MC" list count l
has "two contacts" "2"
run "XDG_DATA_HOME moves the default" 0 env \
	XDG_DATA_HOME="$T/xdg" "$MC" suppress add carl@example.com
ok "the store is at \$XDG_DATA_HOME/mailcast/mailcast.db" \
	test -f "$T/xdg/mailcast/mailcast.db"

# precedence: each level names its store in the not-found error
printf '[mailcast]\nstore = sqlite:%s/conf.db\n' "$T" >"$T/cwd/mailcast.conf"
run "mailcast.conf's store beats the default" 66 "$MC" list count
has "conf store named" "no store at $T/conf.db"
run "MAILCAST_STORE beats mailcast.conf" 66 env MAILCAST_STORE="sqlite:$T/env.db" \
	"$MC" list count
has "env store named" "no store at $T/env.db"
run "--store beats MAILCAST_STORE" 66 env MAILCAST_STORE="sqlite:$T/env.db" \
	"$MC" --store "sqlite:$T/flag.db" list count
has "flag store named" "no store at $T/flag.db"
rm "$T/cwd/mailcast.conf"

# a ./mailcast.db of an older release is pointed at, never used silently
mkdir "$T/old"
(cd "$T/old" && "$MC" --store sqlite:mailcast.db list import "$T/l.csv" \
	--list l >/dev/null 2>&1)
run "an old ./mailcast.db: the missing default is 66" 66 env -C "$T/old" \
	HOME="$T/home2" "$MC" list count
has "it points at ./mailcast.db" \
	"no store at $T/home2/.local/share/mailcast/mailcast.db (./mailcast.db is here, the default store of older releases: give --store sqlite:mailcast.db)"
run "an old ./mailcast.db: a new default store is made" 0 env -C "$T/old" \
	HOME="$T/home2" "$MC" suppress add carl@example.com
has "with a warning" "mailcast: warn: ./mailcast.db is not the default store any more"

# "not found" names the store
run "an unknown list is 66" 66 "$MC" list count nope
has "the list error names the store" "no list named 'nope' in store $DEF"
run "an unknown campaign is 66" 66 "$MC" campaign status 9
has "the campaign error names the store" "no campaign '9' in store $DEF"
run "a contact not on the list" 65 "$MC" list remove l zed@example.com
has "the contact error names the store" "zed@example.com is not on that list in store $DEF"
run "campaign create on an unknown list is 66" 66 "$MC" campaign create \
	--name x --list nope --template "$T/t.tmpl" --from news@news.example \
	--relay 127.0.0.1:26610 --tls none
has "the list error names the store" "no list 'nope' in store $DEF"

# --- item 2: read-only stores ---
# AS: run as another user when root (root ignores modes); OWN DIR: give
# DIR to that user.
if [ "$(id -u)" = 0 ]; then
	AS=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
	OWN() { chown -R 65534:65534 "$1"; }
else
	AS=()
	OWN() { :; }
fi

# mkstore DIR: a store with a list, a suppression, a campaign, a token key
mkstore() {
	mkdir -p "$1"
	s="sqlite:$1/s.db"
	"$MC" --store "$s" list import "$T/l.csv" --list l >/dev/null 2>&1
	"$MC" --store "$s" suppress add carl@example.com >/dev/null 2>&1
	"$MC" --store "$s" token rotate >/dev/null 2>&1
	"$MC" --store "$s" campaign create --name c --list l \
		--template "$T/t.tmpl" --from news@news.example \
		--relay 127.0.0.1:26610 --tls none >/dev/null 2>&1
}
# leave DB: a commit in DB's journal, the writer killed before it folds
# it in (so -wal and -shm stay)
leave() {
	/usr/bin/python3 - "$1" <<'PY'
import os, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("INSERT INTO lists(name, created_at) VALUES ('late', 0)")
c.commit()
os._exit(0)
PY
}
# reads NAME DB [LATE]: every reading command works on DB
reads() {
	local u="sqlite:$2"
	run "$1: list count" 0 "${AS[@]}" "$MC" --store "$u" list count l
	has "$1: list count says 2" "2"
	run "$1: list show" 0 "${AS[@]}" "$MC" --store "$u" list show
	has "$1: list show has l" "l "
	[ -n "$3" ] && has "$1: list show has the journal's list" "late"
	run "$1: list export" 0 "${AS[@]}" "$MC" --store "$u" list export --list l
	has "$1: list export has ann" "ann@example.com,active,"
	has "$1: list export has her name" ",,Ann"
	run "$1: suppress check" 0 "${AS[@]}" "$MC" --store "$u" suppress check carl@example.com
	run "$1: suppress list" 0 "${AS[@]}" "$MC" --store "$u" suppress list
	has "$1: suppress list has carl" "carl@example.com"
	run "$1: campaign status" 0 "${AS[@]}" "$MC" --store "$u" campaign status 1
	has "$1: campaign status says draft" "draft"
	run "$1: campaign report" 0 "${AS[@]}" "$MC" --store "$u" campaign report 1
	run "$1: campaign who" 0 "${AS[@]}" "$MC" --store "$u" campaign who 1
	has "$1: campaign who has bob" "bob@example.com"
	run "$1: token list" 0 "${AS[@]}" "$MC" --store "$u" token list
	run "$1: token verify reads the keys" 65 "${AS[@]}" "$MC" --store "$u" token verify abc
	has "$1: token verify's own words" "not signed by any key of this store"
}
# writes NAME DB WORDS: writing commands fail 73 naming the store, DB unchanged
writes() {
	local u="sqlite:$2" sum
	sum=$(cat "$2"* | sha256sum)
	run "$1: list import is 73" 73 "${AS[@]}" "$MC" --store "$u" list import "$T/l.csv" --list m
	has "$1: it names the store" "mailcast: list import: store $2 is read-only"
	has "$1: and why" "$3"
	run "$1: suppress add is 73" 73 "${AS[@]}" "$MC" --store "$u" suppress add dan@example.com
	run "$1: token rotate is 73" 73 "${AS[@]}" "$MC" --store "$u" token rotate
	run "$1: campaign pause is 73" 73 "${AS[@]}" "$MC" --store "$u" campaign pause 1
	has "$1: campaign pause names it" "mailcast: campaign pause: store $2 is read-only"
	ok "$1: the store is unchanged" test "$(cat "$2"* | sha256sum)" = "$sum"
}

mkstore "$T/ro1"
OWN "$T/ro1"
chmod 444 "$T/ro1/s.db"
reads "0444 file" "$T/ro1/s.db"
writes "0444 file" "$T/ro1/s.db" "(mode 0444; \`chmod 600 $T/ro1/s.db\`"
ok "0444 file: no -wal/-shm left beside it" test ! -e "$T/ro1/s.db-shm"
chmod 644 "$T/ro1/s.db"
run "0444 file made writable again: writes work" 0 "${AS[@]}" "$MC" \
	--store "sqlite:$T/ro1/s.db" suppress add dan@example.com

mkstore "$T/ro2"
OWN "$T/ro2"
chmod 555 "$T/ro2"
ok "read-only folder: no -wal/-shm" test ! -e "$T/ro2/s.db-wal"
reads "read-only folder" "$T/ro2/s.db"
writes "read-only folder" "$T/ro2/s.db" "its folder $T/ro2 cannot be written"

mkstore "$T/ro3"
leave "$T/ro3/s.db"
OWN "$T/ro3"
chmod 555 "$T/ro3"
ok "read-only folder with a journal: -wal and -shm left" \
	test -s "$T/ro3/s.db-wal" -a -e "$T/ro3/s.db-shm"
reads "read-only folder, journal left" "$T/ro3/s.db" late
writes "read-only folder, journal left" "$T/ro3/s.db" "cannot be written"

mkstore "$T/ro4"
leave "$T/ro4/s.db"
OWN "$T/ro4"
chmod 444 "$T/ro4/s.db" "$T/ro4/s.db-wal" "$T/ro4/s.db-shm"
reads "0444 file, journal left" "$T/ro4/s.db" late
writes "0444 file, journal left" "$T/ro4/s.db" "(mode 0444"

# a journal with commits but no -shm in a read-only folder cannot be read
# whole: refused with the reason, never half the data
mkstore "$T/ro5"
leave "$T/ro5/s.db"
rm "$T/ro5/s.db-shm"
OWN "$T/ro5"
chmod 555 "$T/ro5"
run "journal without -shm in a read-only folder is refused" 66 "${AS[@]}" "$MC" \
	--store "sqlite:$T/ro5/s.db" list show
has "it says why" "its journal $T/ro5/s.db-wal holds commits"
chmod 755 "$T/ro2" "$T/ro3" "$T/ro5"

finish
