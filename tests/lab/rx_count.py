#!/usr/bin/python3
"""rx_count.py ADDR PORT OUTDIR [DOT_MS] — a receiving host for the fleet lab.

A plain SMTP receiver (EHLO with PIPELINING and 8BITMIME, MAIL, RCPT,
DATA, RSET, NOOP, QUIT) that counts the connections it has open at once:
OUTDIR/max holds the highest count seen (rewritten when it rises, with
the peers then connected), OUTDIR/rcpts gets one line per recipient of
each message accepted ("ADDRESS EPOCH-SECONDS") (at the final dot; the 250 follows DOT_MS ms later,
default 0, so a sender has messages in flight).  SIGTERM
ends it.  Every reply is written after the command's line is read, so a
pipelining client gets them in order.
"""
import asyncio
import os
import signal
import sys
import time

ADDR, PORT, OUT = sys.argv[1], int(sys.argv[2]), sys.argv[3]
DOT_S = int(sys.argv[4]) / 1000.0 if len(sys.argv) > 4 else 0
open_now = 0
peak = 0
peers = set()
log = open(os.path.join(OUT, "rcpts"), "a", buffering=1)


def note_peak():
    tmp = os.path.join(OUT, "max.tmp")
    with open(tmp, "w") as f:
        f.write("%d %s\n" % (peak, " ".join(sorted(peers))))
    os.replace(tmp, os.path.join(OUT, "max"))


async def session(reader, writer):
    global open_now, peak
    peer = "%s:%d" % writer.get_extra_info("peername")[:2]
    open_now += 1
    peers.add(peer)
    if open_now > peak:
        peak = open_now
        note_peak()
    rcpts = []
    try:
        writer.write(b"220 rx ESMTP\r\n")
        while True:
            line = await reader.readline()
            if not line:
                break
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                writer.write(b"250-rx\r\n250-PIPELINING\r\n"
                             b"250 8BITMIME\r\n")
            elif verb == b"MAIL":
                rcpts = []
                writer.write(b"250 2.1.0 ok\r\n")
            elif verb == b"RCPT":
                a = line.split(b":", 1)[1].strip().split(b" ")[0]
                rcpts.append(a.strip(b"<>").decode("utf-8", "replace"))
                writer.write(b"250 2.1.5 ok\r\n")
            elif verb == b"DATA":
                writer.write(b"354 go\r\n")
                while True:
                    d = await reader.readline()
                    if not d:
                        return
                    if d == b".\r\n":
                        break
                now = time.time()
                for r in rcpts:
                    log.write("%s %.3f\n" % (r, now))
                rcpts = []
                if DOT_S:
                    await asyncio.sleep(DOT_S)
                writer.write(b"250 2.0.0 queued\r\n")
            elif verb == b"RSET":
                rcpts = []
                writer.write(b"250 2.0.0 ok\r\n")
            elif verb == b"NOOP":
                writer.write(b"250 2.0.0 ok\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 2.0.0 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"502 5.5.2 no\r\n")
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        open_now -= 1
        peers.discard(peer)
        writer.close()


async def main():
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    srv = await asyncio.start_server(session, ADDR, PORT, backlog=256)
    note_peak()
    async with srv:
        await stop.wait()


asyncio.run(main())
