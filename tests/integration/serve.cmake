# `mailcast serve` (issue 13): RFC 8058 one-click unsubscribe with curl
# and http.client, every bad input (forged tokens, 413, malformed HTTP,
# slowloris, traversal, X-Forwarded-For), SIGHUP and SIGTERM.
# Ports 26720-26722 on 127.0.0.1 (and 127.0.0.2 as a client address).
add_test(NAME serve_unsubscribe
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/serve_unsubscribe.py
	$<TARGET_FILE:mailcast>)
set_tests_properties(serve_unsubscribe PROPERTIES LABELS integration
    TIMEOUT 180)
# serve beside a running campaign in the same SQLite store: every POST
# 200, no lost update on either side.  Ports 26740-26742.
add_test(NAME serve_busy
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/serve_busy.py
	$<TARGET_FILE:mailcast>)
set_tests_properties(serve_busy PROPERTIES LABELS integration TIMEOUT 300)
# Signup with double opt-in through a real Postfix (127.0.0.1:27125) into a
# real Dovecot (IMAP 127.0.0.1:27143; its other listeners 27110, 27993,
# 27995): the link from the delivered message, pending contacts left out
# of campaigns, bad tokens 404/410, honeypot, one message a day, 413,
# CSRF, rate limits.  serve on 27180 (127.0.0.2 as a second client).
add_test(NAME serve_signup
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/serve_signup.py
	$<TARGET_FILE:mailcast>)
set_tests_properties(serve_signup PROPERTIES LABELS integration TIMEOUT 240)
# The REST API /api/v1 against docs/openapi.yaml (every route, status and
# schema; tokens; a campaign running beside API writes).  Ports 27200-27202.
add_test(NAME serve_api
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/serve_api.py
	$<TARGET_FILE:mailcast> ${PROJECT_SOURCE_DIR})
set_tests_properties(serve_api PROPERTIES LABELS integration TIMEOUT 300)
# The dashboard (issue 14 Must show 2) and the campaign runner in serve
# (issue 13 item 6): sessions, CSRF, roles, lockout, no secret in a page;
# start/pause/resume/schedule from the page; a campaign left running
# resumed at start.  Ports 27400-27402.
add_test(NAME serve_dash
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/serve_dash.py
	$<TARGET_FILE:mailcast>)
set_tests_properties(serve_dash PROPERTIES LABELS integration TIMEOUT 300)
# The dashboard in a real browser (issue 14 Must show 1): Debian's
# chromium driven by puppeteer-core, axe-core on every page; screenshots
# into the build dir (not committed).  Ports 27410-27411.
add_test(NAME serve_dash_browser
    COMMAND ${PROJECT_SOURCE_DIR}/tests/browser/run.sh
	$<TARGET_FILE:mailcast> ${CMAKE_BINARY_DIR}/screenshots)
set_tests_properties(serve_dash_browser PROPERTIES LABELS integration
    TIMEOUT 300 SKIP_RETURN_CODE 77)
# `campaign report --html FILE` (issue 14 items 1 and 3): the file parsed
# with html.parser, its numbers equal to --json, self-contained, the
# empty state.  Port 27500.
add_test(NAME report_html
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/report_html.py
	$<TARGET_FILE:mailcast>)
set_tests_properties(report_html PROPERTIES LABELS integration TIMEOUT 120)
# Webhooks out (issue 13 item 7): a campaign into the sink, one-click,
# click, DSN and ARF through `bounces ingest`; Python receivers that fail
# twice then accept, check the HMAC signature, a tampered secret, a
# refused port, a slow one, a 302 and a huge body.  Ports 27600-27606.
add_test(NAME serve_webhook
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/serve_webhook.py
	$<TARGET_FILE:mailcast>)
set_tests_properties(serve_webhook PROPERTIES LABELS integration TIMEOUT 300)
