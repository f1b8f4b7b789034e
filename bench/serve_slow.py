#!/usr/bin/python3
"""serve_slow.py PORT PATHS N — for bench/serve.sh: N idle slow clients
(from 127.0.1.1-127.0.1.100, so no address passes serve's per-address
limit) each send half a request head and then a byte every 3 s; meanwhile
200 one-click POSTs, each on a new connection, are timed.  Prints the
latency percentiles and how many slow connections were still open."""
import http.client
import socket
import sys
import time

port, paths, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
tokens = open(paths).read().split()
slow = []
for i in range(n):
    s = socket.socket()
    s.bind(("127.0.1.%d" % (1 + i % 100), 0))
    s.connect(("127.0.0.1", port))
    s.sendall(b"POST /unsubscribe/x HTTP/1.1\r\nHost: bench\r\nX-Slow: ")
    slow.append(s)
time.sleep(1)
lat = []
last_trickle = time.monotonic()
for k in range(200):
    t0 = time.monotonic()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("POST", tokens[k % len(tokens)], "List-Unsubscribe=One-Click",
              {"Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    r.read()
    c.close()
    lat.append((time.monotonic() - t0) * 1000)
    if r.status != 200:
        print("status %d" % r.status)
    if time.monotonic() - last_trickle > 3:
        for s in slow:
            try:
                s.send(b"a")
            except OSError:
                pass
        last_trickle = time.monotonic()
    time.sleep(0.02)
alive = 0
for s in slow:
    try:
        s.send(b"a")
        alive += 1
    except OSError:
        pass
    s.close()
lat.sort()
print("slow connections: %d opened, %d still open at the end" % (n, alive))
print("one-click POST beside them: p50 %.1f ms, p99 %.1f ms, max %.1f ms "
      "(200 requests, a new connection each)" %
      (lat[len(lat) // 2], lat[int(len(lat) * 0.99) - 1], lat[-1]))
