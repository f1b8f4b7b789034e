#!/usr/bin/env python3
"""inet_grey.py ADDR PORT RTT_MS -- a greylisting SMTP receiver for the internet lab.

The first RCPT of each recipient address gets "451 4.7.1 greylisted, try
again later"; every later one 250.  Messages are counted, not kept.  No
PIPELINING is offered (commands are still answered in order if a client
sends several).  SIGTERM ends it; stdout gets one line per message:
"ok RCPT..." and one per refusal: "grey RCPT".  RTT_MS: the wait before
the greeting, the reply to MAIL and the reply to the final dot (the lab's
stand-in for link latency, as the sinks' --fault delays).
"""
import asyncio
import signal
import sys

seen = set()
RTT = int(sys.argv[3]) / 1000.0


async def session(r, w):
    await asyncio.sleep(RTT)
    w.write(b"220 grey.test ESMTP\r\n")
    rcpts = []
    try:
        while True:
            line = await asyncio.wait_for(r.readline(), 300)
            if not line:
                break
            u = line.decode("latin-1").strip()
            v = u[:4].upper()
            if v in ("EHLO", "HELO"):
                w.write(b"250-grey.test\r\n250 8BITMIME\r\n" if v == "EHLO" else b"250 grey.test\r\n")
            elif v == "MAIL":
                rcpts = []
                await asyncio.sleep(RTT)
                w.write(b"250 2.1.0 ok\r\n")
            elif v == "RCPT":
                a = u[u.find("<") + 1:u.rfind(">")].lower()
                if a in seen:
                    rcpts.append(a)
                    w.write(b"250 2.1.5 ok\r\n")
                else:
                    seen.add(a)
                    print("grey", a, flush=True)
                    w.write(b"451 4.7.1 greylisted, try again later\r\n")
            elif v == "DATA":
                if not rcpts:
                    w.write(b"554 5.5.1 no valid recipients\r\n")
                    continue
                w.write(b"354 go on\r\n")
                while True:
                    d = await asyncio.wait_for(r.readline(), 300)
                    if not d or d in (b".\r\n", b".\n"):
                        break
                print("ok", " ".join(rcpts), flush=True)
                await asyncio.sleep(RTT)
                w.write(b"250 2.0.0 queued\r\n")
                rcpts = []
            elif v == "RSET":
                rcpts = []
                w.write(b"250 2.0.0 ok\r\n")
            elif v == "NOOP":
                w.write(b"250 2.0.0 ok\r\n")
            elif v == "QUIT":
                w.write(b"221 2.0.0 bye\r\n")
                break
            else:
                w.write(b"502 5.5.2 not here\r\n")
            await w.drain()
        await w.drain()
    except (OSError, asyncio.TimeoutError):
        pass
    w.close()


async def main():
    srv = await asyncio.start_server(session, sys.argv[1], int(sys.argv[2]), backlog=512)
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with srv:
        await stop


asyncio.run(main())
