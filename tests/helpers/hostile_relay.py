#!/usr/bin/python3
"""A recording SMTP relay that can misbehave, for the engine's tests.

  hostile_relay.py --port P --mode stray|plain|utf8 --log FILE

stray  adds one line after its EHLO reply ("250 x", then "250 extra"),
       then answers every command 250: a relay no client can talk to
plain  a well-behaved relay that does not offer SMTPUTF8
utf8   the same, offering SMTPUTF8
Writes FILE (JSON, rewritten after each event): "conns", a list of the
times (time.time()) each connection was accepted, and "lines", every
command line received (bytes as latin-1 text, message data left out),
and "msgs", the message bytes (latin-1) of every accepted message.
Serves until killed; each connection is handled in its own thread.
"""
import argparse
import json
import socket
import threading
import time

lock = threading.Lock()
rec = {"conns": [], "lines": [], "msgs": []}


def save(path):
    with lock:
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(rec, f)
        import os
        os.replace(tmp, path)


def serve(conn, mode, path):
    f = conn.makefile("rb")
    try:
        conn.sendall(b"220 hostile.test ESMTP\r\n")
        while True:
            line = f.readline(4096)
            if not line:
                break
            with lock:
                rec["lines"].append(line.decode("latin-1").rstrip("\r\n"))
            save(path)
            cmd = line[:4].upper()
            if cmd in (b"EHLO", b"HELO"):
                if mode == "stray":
                    conn.sendall(b"250 x\r\n250 extra\r\n")
                else:
                    ext = b"250-8BITMIME\r\n"
                    if mode == "utf8":
                        ext += b"250-SMTPUTF8\r\n"
                    conn.sendall(b"250-hostile.test\r\n" + ext +
                                 b"250 PIPELINING\r\n")
            elif cmd == b"DATA":
                conn.sendall(b"354 go\r\n")
                body = []
                while True:
                    d = f.readline(1 << 20)
                    if not d or d in (b".\r\n", b".\n"):
                        break
                    body.append(d)
                with lock:
                    rec["msgs"].append(b"".join(body).decode("latin-1"))
                save(path)
                conn.sendall(b"250 2.0.0 ok queued\r\n")
            elif cmd == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                break
            else:
                conn.sendall(b"250 2.0.0 ok\r\n")
    except OSError:
        pass
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--mode", required=True,
                    choices=["stray", "plain", "utf8"])
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", a.port))
    s.listen(128)
    save(a.log)
    while True:
        conn, _ = s.accept()
        with lock:
            rec["conns"].append(time.time())
        save(a.log)
        threading.Thread(target=serve, args=(conn, a.mode, a.log),
                         daemon=True).start()


if __name__ == "__main__":
    main()
