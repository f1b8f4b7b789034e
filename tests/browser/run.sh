#!/bin/sh
# run.sh MAILCAST SHOTS — the browser test (dash.test.js) when its tools
# are here: Debian's chromium and the npm packages (scripts/install-deps
# runs `npm ci` here); else skipped (exit 77).
set -eu
here=$(dirname "$0")
if [ ! -x /usr/bin/chromium ] || [ ! -d "$here/node_modules/puppeteer-core" ] ||
    ! command -v node >/dev/null; then
	echo "skipped: no /usr/bin/chromium or no node_modules (scripts/install-deps)"
	exit 77
fi
exec node "$here/dash.test.js" "$1" "$2"
