-- serve_oneclick.lua — wrk script for bench/serve.sh: RFC 8058 one-click
-- POSTs, each to the next token of $TOKENS (one /unsubscribe/TOKEN path a
-- line), as a mailbox provider sends them.
local paths = {}
for line in io.lines(os.getenv("TOKENS")) do
	paths[#paths + 1] = line
end
local i = 0
wrk.method = "POST"
wrk.body = "List-Unsubscribe=One-Click"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

function request()
	i = i + 1
	return wrk.format(nil, paths[(i % #paths) + 1])
end
